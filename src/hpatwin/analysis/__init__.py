"""Analysis of simulation results: rhythms, pulses, half-lives, experiment readouts."""

from hpatwin.analysis.rhythm import (
    count_secretory_episodes,
    daily_extremes,
    fit_half_life,
    value_at_clock,
)

__all__ = ["count_secretory_episodes", "daily_extremes", "fit_half_life", "value_at_clock"]
