"""``hpatwin plan-to-treatment``: the planner's protocol for an assessment as a treatment plan.

Writes a treatment-plan YAML (atomically) that ``load_plan`` reads back to the same plan and
``hpatwin simulate --model twin --plan OUT.yaml`` accepts, and prints the conversion report
(what was converted, dropped or not simulated, and every assumption). ``--params`` also writes a
parameter file with the patient's drug clearance factors for ``hpatwin simulate --params``.
``hpatwin plan ASSESSMENT --treatment-plan OUT.yaml`` runs this command.

This module loads the simulation stack (``hpatwin.treatments``), so it is a command of its own,
imported only when it runs; ``hpatwin plan`` stays free of JAX and SymPy.

Example
-------
>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(command, ["--help"])
>>> "treatment plan" in result.output
True
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import yaml

from hpatwin.clinic.planner import (
    AssessmentError,
    KnowledgeBaseError,
    load_assessment,
    load_knowledge_base,
)
from hpatwin.io.atomic import (
    atomic_write_text,
    check_writable,
    distinct_outputs,
    refuse_overwrite,
)
from hpatwin.treatments.from_protocol import (
    DEFAULT_SESSION_CLOCK,
    Conversion,
    ConversionOptions,
    assessment_to_treatment_plan,
    plan_to_document,
)

HEADER = (
    "# hpatwin treatment plan converted from the planner's protocol (hpatwin plan-to-treatment).\n"
    "# Decision support for simulation, not a prescription. Conversion report:\n"
)


_CLOCK = re.compile(r"\d{1,2}:\d{2}")


class _PlanDumper(yaml.SafeDumper):
    """Quotes clock times (``"09:00"``, as the plan format asks) and writes short lists of
    scalars (points, electrode pairs, dose times) on one line."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = '"' if _CLOCK.fullmatch(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flow = all(not isinstance(item, dict) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_PlanDumper.add_representer(str, _represent_str)
_PlanDumper.add_representer(list, _represent_list)


def treatment_plan_yaml(conversion: Conversion) -> str:
    """The converted plan as YAML, headed by the conversion report as comments.

    Example
    -------
    >>> from hpatwin.treatments.from_protocol import assessment_to_treatment_plan
    >>> text = treatment_plan_yaml(assessment_to_treatment_plan({"age_years": 40,
    ...     "sex": "female", "phq9_total": 7, "phq9_item9": 0, "pain_nrs": 0}))
    >>> text.startswith("# hpatwin treatment plan") and "ea_sessions:" in text
    True
    """
    report = "".join(f"#   {line}\n" for line in conversion.report.to_text().splitlines())
    body = yaml.dump(
        plan_to_document(conversion.plan),
        Dumper=_PlanDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return HEADER + report + body


def parameter_file_yaml(conversion: Conversion) -> str:
    """A parameter file (model twin) with the patient's ``<drug>_clearance_factor`` values."""
    data: dict[str, Any] = {
        "model": "twin",
        "parameters": conversion.drug_parameters(days=1),
    }
    header = "# drug clearance factors of the assessed patient (hpatwin plan-to-treatment)\n"
    return header + yaml.safe_dump(data, sort_keys=False)


@click.command("plan-to-treatment")
@click.argument(
    "assessment_path", metavar="ASSESSMENT", type=click.Path(dir_okay=False, path_type=Path)
)
@click.argument("output_path", metavar="OUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--start-day", type=int, default=0, show_default=True, help="Day of session 1.")
@click.option(
    "--session-clock",
    default=DEFAULT_SESSION_CLOCK,
    show_default=True,
    help="Clock time (HH:MM) of the needling sessions.",
)
@click.option("--intensity-ma", type=float, default=None, help="EA intensity (mA).")
@click.option("--tolerance-ma", type=float, default=None, help="Tolerance threshold (mA).")
@click.option("--course-weeks", type=int, default=None, help="Weeks of needling (default 8).")
@click.option("--session-min", type=int, default=None, help="Minutes per session (default 30).")
@click.option("--cbt/--no-cbt", default=None, help="Force CBT on or off (default: as planned).")
@click.option("--strict-points", is_flag=True, help="An unknown point is an error, not dropped.")
@click.option(
    "--params",
    "params_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a parameter file with the patient's drug clearance factors.",
)
@click.option(
    "--knowledge-base",
    "kb_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Use a knowledge-base folder instead of the shipped one.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
@click.option("--report-to-stderr", is_flag=True, hidden=True)
def command(
    assessment_path: Path,
    output_path: Path,
    start_day: int,
    session_clock: str,
    intensity_ma: float | None,
    tolerance_ma: float | None,
    course_weeks: int | None,
    session_min: int | None,
    cbt: bool | None,
    strict_points: bool,
    params_path: Path | None,
    kb_dir: Path | None,
    overwrite: bool,
    report_to_stderr: bool,
) -> None:
    """Convert the planner's protocol for ASSESSMENT into a treatment plan written to OUT (YAML).

    Prints the conversion report. Simulate the result with
    ``hpatwin simulate --model twin --plan OUT [--params PARAMS]``.
    """
    try:
        distinct_outputs(output_path, params_path)
        refuse_overwrite(output_path, overwrite)
        check_writable(output_path)
        if params_path is not None:
            refuse_overwrite(params_path, overwrite)
            check_writable(params_path)
        conversion = assessment_to_treatment_plan(
            load_assessment(assessment_path),
            kb=load_knowledge_base(kb_dir),
            start_day=start_day,
            session_clock=session_clock,
            intensity_ma=intensity_ma,
            tolerance_ma=tolerance_ma,
            options=ConversionOptions(
                course_weeks=course_weeks,
                session_min=session_min,
                cbt=cbt,
                strict_points=strict_points,
            ),
        )
        atomic_write_text(output_path, treatment_plan_yaml(conversion))
        if params_path is not None:
            atomic_write_text(params_path, parameter_file_yaml(conversion))
    except (AssessmentError, KnowledgeBaseError, FileExistsError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(conversion.report.to_text(), err=report_to_stderr)
    click.echo(f"wrote {output_path}", err=True)
    if params_path is not None:
        click.echo(f"wrote {params_path}", err=True)
