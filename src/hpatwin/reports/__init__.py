"""Figures and reports; matplotlib is the one plotting library for CLI, reports and web."""

from hpatwin.reports.plots import plot_simulation

__all__ = ["plot_simulation"]
