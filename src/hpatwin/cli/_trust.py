"""Explicit opt-ins shared by the commands that read trial specs.

Example
-------
>>> import click
>>> @click.command()
... @trust_options
... def c(allow_plugin: bool, allow_outside_plans: bool) -> None:
...     pass
>>> sorted(p.name for p in c.params)
['allow_outside_plans', 'allow_plugin']
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["apply_trust", "trust_options"]

F = TypeVar("F", bound=Callable[..., Any])


def trust_options(func: F) -> F:
    """Add ``--allow-plugin`` and ``--allow-outside-plans`` to a command."""
    func = click.option(
        "--allow-outside-plans",
        is_flag=True,
        help="Let the spec's plan paths point outside its folder and the working folder.",
    )(func)
    return click.option(
        "--allow-plugin",
        is_flag=True,
        help="Allow a plug-in model (model: module:function), which runs code from outside "
        "hpatwin (also HPATWIN_ALLOW_PLUGINS=1).",
    )(func)


def apply_trust(allow_plugin: bool, allow_outside_plans: bool) -> None:
    """Record the opt-ins in the environment, so local worker processes inherit them.

    Example
    -------
    >>> apply_trust(False, False)
    """
    if allow_plugin:
        os.environ["HPATWIN_ALLOW_PLUGINS"] = "1"
    if allow_outside_plans:
        os.environ["HPATWIN_ALLOW_OUTSIDE_PLANS"] = "1"
