"""``hpatwin simulate``: run a phenotype or parameter file, write NetCDF and plots."""

from __future__ import annotations

import math
from pathlib import Path

import click

from hpatwin.io.atomic import atomic_path, check_writable, distinct_outputs, refuse_overwrite
from hpatwin.io.parameter_file import ParameterFile, load_parameter_file
from hpatwin.model.catalogue import model_names
from hpatwin.model.phenotypes import phenotype_names
from hpatwin.reports.plots import plot_simulation
from hpatwin.simulation import simulate

MAX_DAYS = 3650.0
"""Longest run of one command (10 years; a trial's ``duration_days`` has the same bound)."""
MAX_PATIENTS = 100_000
"""Most patients of one ``simulate`` run (cohorts belong in ``hpatwin trial``)."""
MAX_PATIENT_DAYS = 1_000_000.0
"""Patients x days of one run: about the output that fits in memory at the default sampling."""


def check_run_size(days: float | None, duration: float | None, patients: int) -> None:
    """Refuse runs too large to finish (checked before any work).

    Example
    -------
    >>> check_run_size(30, None, 10)
    >>> check_run_size(1e5, None, 1)
    Traceback (most recent call last):
    ...
    ValueError: --days: 100000 is more than the 3650 days (10 years) one run accepts
    """
    for name, value in (("--days", days), ("--duration", duration)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name}: {value:g} must be a positive number")
    if days is not None and days > MAX_DAYS:
        raise ValueError(
            f"--days: {days:g} is more than the {MAX_DAYS:g} days (10 years) one run accepts"
        )
    if not 1 <= patients <= MAX_PATIENTS:
        raise ValueError(
            f"--patients: {patients} must be 1-{MAX_PATIENTS} (use hpatwin trial for cohorts)"
        )
    if days is not None and days * patients > MAX_PATIENT_DAYS:
        raise ValueError(
            f"--patients x --days: {patients} x {days:g} = {patients * days:g} patient-days is "
            f"more than the {MAX_PATIENT_DAYS:g} one run holds in memory; use hpatwin trial"
        )


@click.command("simulate")
@click.option(
    "--model",
    "model_name",
    type=click.Choice(model_names()),
    default=None,
    help="Model to run (default hpa_core, or the parameter file's model).",
)
@click.option("--phenotype", default=None, help=f"One of: {', '.join(phenotype_names())}.")
@click.option(
    "--params",
    "params_path",
    type=click.Path(path_type=Path),
    default=None,
    help="YAML/JSON parameter file (model, phenotype, parameters, initial_state, inputs).",
)
@click.option("--days", type=float, default=None, help="Days to simulate (minute-based models).")
@click.option("--duration", type=float, default=None, help="Duration in the model's own time unit.")
@click.option("--patients", type=int, default=1, show_default=True, help="Number of patients.")
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Seed of the ultradian pulses.",
)
@click.option(
    "--no-pulses", is_flag=True, help="Deterministic configuration (no ultradian pulses)."
)
@click.option(
    "--ablate",
    multiple=True,
    metavar="PATHWAY",
    help="Switch off a named pathway (repeatable); `hpatwin pathways` lists them.",
)
@click.option(
    "--start",
    type=click.Choice(["steady", "onset"]),
    default="steady",
    show_default=True,
    help="steady: the phenotype's steady state; onset: start healthy and watch it develop.",
)
@click.option("--dt", type=float, default=None, help="Integration step (model time unit).")
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Treatment plan (YAML/JSON) to apply (twin only); see docs/treatments.md.",
)
@click.option("--output-every", type=float, default=None, help="Output interval (model time unit).")
@click.option("--engine", type=click.Choice(["jax", "scipy"]), default="jax", show_default=True)
@click.option(
    "--output",
    "output_path",
    type=click.Path(path_type=Path),
    required=True,
    help="NetCDF file to write.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Figure to write (PNG/SVG/PDF).",
)
@click.option("--overwrite", is_flag=True, help="Replace existing output files.")
def command(
    model_name: str | None,
    phenotype: str | None,
    params_path: Path | None,
    days: float | None,
    duration: float | None,
    patients: int,
    seed: int,
    no_pulses: bool,
    ablate: tuple[str, ...],
    start: str,
    dt: float | None,
    plan_path: Path | None,
    output_every: float | None,
    engine: str,
    output_path: Path,
    plot_path: Path | None,
    overwrite: bool,
) -> None:
    """Simulate patients and write a labelled NetCDF file (and a figure)."""
    try:
        spec = load_parameter_file(params_path) if params_path else ParameterFile()
        model = model_name or spec.model
        distinct_outputs(output_path, plot_path)
        refuse_overwrite(output_path, overwrite)
        check_writable(output_path)
        if plot_path is not None:
            refuse_overwrite(plot_path, overwrite)
            check_writable(plot_path)
        if days is None and duration is None:
            raise ValueError("days/duration: give --days (or --duration for non-minute models)")
        check_run_size(days, duration, patients)
        ds = simulate(
            model,
            days=days,
            duration=duration,
            phenotype=phenotype or spec.phenotype,
            parameters=spec.parameters,
            initial_state=spec.initial_state,
            inputs=spec.inputs,
            n_patients=patients,
            seed=seed,
            pulses=not no_pulses,
            ablate=[*spec.ablate, *ablate],
            start=start,  # type: ignore[arg-type]
            plan=plan_path,
            dt=dt,
            output_every=output_every,
            engine=engine,  # type: ignore[arg-type]
        )
    except (ValueError, FileExistsError) as err:
        raise click.ClickException(str(err)) from None
    with atomic_path(output_path) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    click.echo(
        f"wrote {output_path} ({ds.sizes['patient']} patient(s), {ds.sizes['time']} samples)"
    )
    if plot_path is not None:
        plot_simulation(ds, plot_path)
        click.echo(f"wrote {plot_path}")
