"""``hpatwin plan``: a sourced protocol plan with safety screen from an assessment file.

``--treatment-plan OUT.yaml`` also converts the protocol into a treatment plan for the twin by
running ``hpatwin plan-to-treatment`` through the CLI's lazy command lookup, so this module
itself never loads the simulation stack (JAX, SymPy).

Example
-------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(command, ["--help"])
>>> "assessment" in result.output.lower()
True
"""

from __future__ import annotations

from pathlib import Path

import click

from hpatwin.cli import main
from hpatwin.clinic.planner import (
    AssessmentError,
    KnowledgeBaseError,
    build_plan,
    load_assessment,
    load_knowledge_base,
    render_json,
    render_text,
    write_html,
)
from hpatwin.io.atomic import check_writable, distinct_outputs


@click.command("plan")
@click.argument(
    "assessment_path",
    metavar="ASSESSMENT",
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON instead of text.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a printable, self-contained HTML plan to this file.",
)
@click.option(
    "--treatment-plan",
    "treatment_plan_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the protocol as a treatment-plan YAML for `hpatwin simulate --plan` "
    "(see `hpatwin plan-to-treatment --help` for the conversion's options).",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@click.option(
    "--knowledge-base",
    "kb_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Use a knowledge-base folder instead of the shipped one (for reviewing rule changes).",
)
def command(
    assessment_path: Path,
    as_json: bool,
    html_path: Path | None,
    treatment_plan_path: Path | None,
    overwrite: bool,
    kb_dir: Path | None,
) -> None:
    """Plan integrated pain-depression care from an ASSESSMENT file (YAML or JSON).

    Prints the plan (dominance, EA frequency, role, points, schedule, pharmacotherapy notes and
    graded safety alerts, each with its source and evidence level). Decision support for a
    licensed clinician, not a prescription.
    """
    try:
        if html_path is not None:
            if html_path.exists() and not overwrite:
                raise FileExistsError(f"{html_path} exists; pass --overwrite to replace it")
            check_writable(html_path)
        if treatment_plan_path is not None:
            distinct_outputs(html_path, treatment_plan_path)
            if treatment_plan_path.exists() and not overwrite:
                raise FileExistsError(
                    f"{treatment_plan_path} exists; pass --overwrite to replace it"
                )
            check_writable(treatment_plan_path)
        kb = load_knowledge_base(kb_dir)
        assessment = load_assessment(assessment_path)
        plan = build_plan(assessment, kb)
        if html_path is not None:
            write_html(plan, html_path, overwrite=overwrite)
    except (AssessmentError, KnowledgeBaseError, FileExistsError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(render_json(plan) if as_json else render_text(plan), nl=False)
    if html_path is not None:
        click.echo(f"wrote {html_path}", err=True)
    if treatment_plan_path is not None:
        ctx = click.get_current_context()
        convert = main.get_command(ctx, "plan-to-treatment")
        assert convert is not None  # registered in hpatwin.cli.COMMANDS
        ctx.invoke(
            convert,
            assessment_path=assessment_path,
            output_path=treatment_plan_path,
            kb_dir=kb_dir,
            overwrite=overwrite,
            report_to_stderr=True,
        )
