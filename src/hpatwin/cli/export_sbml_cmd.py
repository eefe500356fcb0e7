"""``hpatwin export-sbml``: write a model's SBML (Level 3 Version 2)."""

from __future__ import annotations

from pathlib import Path

import click

from hpatwin.io.atomic import check_writable, refuse_overwrite
from hpatwin.model.catalogue import get_model, model_names
from hpatwin.sbml.export import write_sbml


@click.command("export-sbml")
@click.argument("model_name", type=click.Choice(model_names()))
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
def command(model_name: str, output: Path, overwrite: bool) -> None:
    """Export MODEL_NAME as SBML to OUTPUT (runnable in libRoadRunner, COPASI, tellurium)."""
    try:
        refuse_overwrite(output, overwrite)
        check_writable(output)
    except FileExistsError as err:
        raise click.ClickException(str(err)) from None
    write_sbml(get_model(model_name), output)
    click.echo(f"wrote {output}")
