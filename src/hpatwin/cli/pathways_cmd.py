"""``hpatwin pathways``: the named pathways that ``--ablate`` can switch off."""

from __future__ import annotations

import click

from hpatwin.model.pain_depression import PATHWAYS


@click.command("pathways")
def command() -> None:
    """List the pathways of the pain-depression layer (for --ablate / ablate:)."""
    width = max(len(name) for name in PATHWAYS)
    for name, description in PATHWAYS.items():
        click.echo(f"{name:<{width}}  {description}")
