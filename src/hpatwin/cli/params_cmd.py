"""``hpatwin params``: list the parameter registry, filtered, as a table or CSV."""

from __future__ import annotations

import click

from hpatwin.model import default_registry
from hpatwin.observation.parameters import MODEL as OBSERVATION_MODEL
from hpatwin.observation.parameters import PARAMETERS as OBSERVATION_PARAMETERS
from hpatwin.parameters import Evidence
from hpatwin.patient_twin.parameters import MODEL as TWIN_MODEL
from hpatwin.patient_twin.parameters import PARAMETERS as TWIN_PARAMETERS


@click.command("params")
@click.option("--model", default=None, help="Only this model's parameters.")
@click.option(
    "--evidence",
    type=click.Choice([e.value for e in Evidence]),
    default=None,
    help="Only parameters with this evidence level.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "markdown"]),
    default="table",
    show_default=True,
)
def command(model: str | None, evidence: str | None, fmt: str) -> None:
    """List every model parameter with value, unit, evidence level and source.

    The observation layer's parameters (measurement error, fluctuation) are listed as
    model ``observation``, the patient twin's own (prior spreads, noise of clinic data) as
    ``patient_twin``.
    """
    registry = default_registry()
    registry.add_model(OBSERVATION_MODEL, OBSERVATION_PARAMETERS)
    registry.add_model(TWIN_MODEL, TWIN_PARAMETERS)
    try:
        chosen = registry.select(model=model, evidence=evidence)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    if fmt == "csv":
        click.echo(registry.to_csv(chosen), nl=False)
        return
    if fmt == "markdown":
        click.echo(registry.to_markdown(chosen), nl=False)
        return
    width = max((len(p.name) for p in chosen), default=4)
    click.echo(
        f"{'model':<15} {'name':<{width}} {'value':>12} {'unit':<10} {'evidence':<16} source"
    )
    for p in chosen:
        click.echo(
            f"{p.model:<15} {p.name:<{width}} {p.value:>12.6g} {p.unit:<10} "
            f"{p.evidence.value:<16} {p.source}"
        )
    click.echo(f"{len(chosen)} parameter(s)")
