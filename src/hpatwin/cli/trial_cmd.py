"""``hpatwin trial``: run (or resume) an in-silico trial from a spec YAML."""

from __future__ import annotations

import math
from pathlib import Path

import click

from hpatwin.cli._trust import apply_trust, trust_options
from hpatwin.io.atomic import check_writable
from hpatwin.trials.spec import TrialSpecError, load_trial_spec
from hpatwin.trials.study import run_trial

PATIENT_DAYS_PER_S = 15_000
"""Cohort throughput of the twin on the project machine (BENCHMARKS.md), for the estimate."""
MAX_PATIENT_DAYS = 500_000_000
"""Largest run one command accepts (about 9 h at the throughput above)."""


@click.command("trial")
@click.argument("spec_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Output folder (created; an unfinished run there is resumed).",
)
@click.option(
    "--scheduler",
    default=None,
    help="Dask scheduler: tcp://host:port, inproc://..., 'local' (worker processes), "
    "'local-threads', or 'in-process' (default).",
)
@click.option("--overwrite", is_flag=True, help="Replace existing results in --out.")
@click.option(
    "--chunk-size", type=int, default=None, help="Patients per chunk (overrides the spec)."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local worker processes (starts a Dask LocalCluster if > 1), or workers to wait for "
    "with --scheduler.",
)
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@trust_options
def command(
    spec_path: Path,
    out_dir: Path,
    scheduler: str | None,
    overwrite: bool,
    chunk_size: int | None,
    workers: int | None,
    no_progress: bool,
    allow_plugin: bool,
    allow_outside_plans: bool,
) -> None:
    """Run the trial in SPEC_PATH and write patients, traces, tables and a report to --out."""
    apply_trust(allow_plugin, allow_outside_plans)
    try:
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"--chunk-size: {chunk_size} must be ≥ 1")
        check_writable(out_dir, folder=True)
        spec = load_trial_spec(spec_path, chunk_size=chunk_size)
        patient_days = spec.population.size * spec.duration_days
        if patient_days > MAX_PATIENT_DAYS:
            raise ValueError(
                f"population.size x duration_days = {patient_days:,} patient-days is more than "
                f"the {MAX_PATIENT_DAYS:,} one run accepts (about "
                f"{MAX_PATIENT_DAYS / PATIENT_DAYS_PER_S / 3600:.0f} h at "
                f"{PATIENT_DAYS_PER_S:,} patient-days/s); split the trial"
            )
        if patient_days > PATIENT_DAYS_PER_S * 60:
            click.echo(
                f"estimated {patient_days:,} patient-days: about "
                f"{patient_days / PATIENT_DAYS_PER_S / 60:.0f} min at "
                f"{PATIENT_DAYS_PER_S:,} patient-days/s (BENCHMARKS.md)",
                err=True,
            )
        result = run_trial(
            spec,
            out_dir,
            scheduler=scheduler,
            overwrite=overwrite,
            progress=not no_progress,
            workers=workers,
        )
    except (TrialSpecError, ValueError, FileExistsError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(
        f"wrote {result.out_dir} ({result.executed_chunks} chunk(s) simulated, "
        f"{result.resumed_chunks} resumed)"
    )
    timing = result.timing
    if "chunk_overhead_s_mean" in timing:
        click.echo(
            f"per chunk: {timing['chunk_wall_s_mean']:.2f} s wall, "
            f"{timing['chunk_engine_s_mean']:.2f} s engine, "
            f"{timing['chunk_overhead_s_mean'] * 1000:.0f} ms runner overhead"
        )
    primary = result.effects[result.effects["primary"]] if not result.effects.empty else None
    if primary is not None:
        for row in primary.itertuples():
            click.echo(
                f"{row.endpoint}: {row.arm} vs {row.control} {row.estimate_name} "
                f"{row.estimate:.3g} [{row.ci_low:.3g}, {row.ci_high:.3g}]"
            )
            ancova = getattr(row, "ancova_estimate", math.nan)
            if isinstance(ancova, float) and math.isfinite(ancova):
                click.echo(
                    f"  primary (ANCOVA adjusted for baseline, available case): {ancova:.3g} "
                    f"[{row.ancova_ci_low:.3g}, {row.ancova_ci_high:.3g}], n = "
                    f"{row.ancova_n:.0f}; Hedges g (pooled baseline SD) "
                    f"{row.hedges_g_baseline_sd:.2f}"
                )
    if (result.out_dir / "report.html").exists():
        click.echo(f"report: {result.out_dir / 'report.html'}")
