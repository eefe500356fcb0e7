"""``hpatwin power``: power of a trial's primary endpoint by simulation over sample sizes."""

from __future__ import annotations

from pathlib import Path

import click

from hpatwin.cli._trust import apply_trust, trust_options
from hpatwin.io.atomic import check_writable
from hpatwin.trials.power import power_analysis
from hpatwin.trials.spec import TrialSpecError, load_trial_spec


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: give comma-separated whole numbers, e.g. 20,40,80"
        ) from None
    if not sizes or min(sizes) < 2:
        raise click.BadParameter(f"{text!r}: sizes must be whole numbers ≥ 2 (patients per arm)")
    if max(sizes) > MAX_SIZE_PER_ARM:
        raise click.BadParameter(
            f"{max(sizes)} patients per arm is more than the {MAX_SIZE_PER_ARM:,} accepted"
        )
    return sizes


MAX_SIZE_PER_ARM = 100_000
"""Largest sample size per arm (the pool holds 5 times the largest size per arm by default)."""


@click.command("power")
@click.argument("spec_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--sizes", required=True, help="Patients per arm, comma-separated (e.g. 20,40,80).")
@click.option(
    "--replicates",
    type=click.IntRange(1, 100_000),
    default=50,
    show_default=True,
    help="Trials per size.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output folder (default: power-<spec name>); the simulated pool goes to OUT/pool.",
)
@click.option(
    "--pool-per-arm",
    type=click.IntRange(1, 1_000_000),
    default=None,
    help="Pooled patients per arm (default 5 × largest size).",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=None,
    help="Significance level (default: the spec's).",
)
@click.option(
    "--criterion",
    type=click.Choice(["p_value", "ci"]),
    default="p_value",
    show_default=True,
    help="Detection: p < alpha, or the (1 − alpha) bootstrap CI excludes 0.",
)
@click.option(
    "--scheduler", default=None, help="Dask scheduler address or keyword (see hpatwin trial)."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local worker processes for the pool.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing power results and pool.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@trust_options
def command(
    spec_path: Path,
    sizes: str,
    replicates: int,
    out_dir: Path | None,
    pool_per_arm: int | None,
    alpha: float | None,
    criterion: str,
    scheduler: str | None,
    workers: int | None,
    overwrite: bool,
    no_progress: bool,
    allow_plugin: bool,
    allow_outside_plans: bool,
) -> None:
    """Estimate power for the primary endpoint of SPEC_PATH over --sizes."""
    apply_trust(allow_plugin, allow_outside_plans)
    size_list = _sizes(sizes)
    try:
        spec = load_trial_spec(spec_path)
        check_writable(out_dir or Path(f"power-{spec.name}"), folder=True)
        result = power_analysis(
            spec,
            out_dir or Path(f"power-{spec.name}"),
            sizes=size_list,
            replicates=replicates,
            pool_per_arm=pool_per_arm,
            alpha=alpha,
            criterion="ci" if criterion == "ci" else "p_value",
            scheduler=scheduler,
            workers=workers,
            overwrite=overwrite,
            progress=not no_progress,
        )
    except (TrialSpecError, ValueError, FileExistsError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"power for {result.endpoint} ({result.criterion}, alpha {result.alpha:g}):")
    for row in result.table.itertuples():
        click.echo(
            f"  {row.arm} vs {row.control}, {row.size_per_arm} per arm: power {row.power:.2f} "
            f"[{row.power_ci_low:.2f}, {row.power_ci_high:.2f}] ({row.detections}/{row.replicates})"
        )
    where = out_dir or Path(f"power-{spec.name}")
    click.echo(f"wrote {where / 'power.csv'} and {where / 'power.png'}")
