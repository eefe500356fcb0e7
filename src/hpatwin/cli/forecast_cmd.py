"""``hpatwin forecast``: forecast candidate protocols from a stored patient-twin fit."""

from __future__ import annotations

from pathlib import Path

import click
import xarray as xr

from hpatwin.io.atomic import atomic_write_text, check_writable, refuse_overwrite
from hpatwin.io.documents import read_document
from hpatwin.patient_twin.forecast import compare_with_forecast, forecast, forecast_horizon
from hpatwin.patient_twin.protocols import candidate_protocols
from hpatwin.patient_twin.store import load_fit, save_forecast
from hpatwin.patient_twin.summary import plain_language
from hpatwin.reports.twin_figures import fan_chart_figure, save_fan_chart

SUMMARY_COLUMNS = [
    "protocol",
    "sessions_added",
    "phq9_end_median",
    "phq9_end_p10",
    "phq9_end_p90",
    "p_response",
    "p_remission",
    "p_pain_response",
    "p_session6_flag",
]


@click.command("forecast")
@click.argument("fit_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for forecast.nc, forecast_summary.csv, figures and summary.md.",
)
@click.option(
    "--weeks",
    type=click.IntRange(2, 52),
    default=12,
    show_default=True,
    help="Horizon in weeks from the first visit.",
)
@click.option("--draws", type=click.IntRange(32, 4096), default=256, show_default=True)
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True)
@click.option(
    "--protocol",
    "names",
    multiple=True,
    help="Only these candidates (repeat); default all.",
)
@click.option(
    "--planner-plan",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A planner protocol (YAML/JSON, as `hpatwin plan --json` writes) to add as a candidate.",
)
@click.option(
    "--earlier",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="A folder of an earlier forecast: compare the PHQ-9 recorded since with it.",
)
@click.option("--earlier-protocol", default=None, help="The protocol followed since --earlier.")
@click.option("--overwrite", is_flag=True, help="Replace existing outputs in --out.")
def command(
    fit_file: Path,
    out: Path,
    weeks: int,
    draws: int,
    seed: int,
    names: tuple[str, ...],
    planner_plan: Path | None,
    earlier: Path | None,
    earlier_protocol: str | None,
    overwrite: bool,
) -> None:
    """Forecast observed PHQ-9 and NRS under candidate protocols from a fit file."""
    check_writable(out, folder=True)
    for name in (
        "forecast.nc",
        "forecast_summary.csv",
        "summary.md",
        "fan_phq9.png",
        "fan_nrs.png",
    ):
        refuse_overwrite(out / name, overwrite)
    fit = load_fit(fit_file)
    horizon = forecast_horizon(fit.data.last_day, weeks * 7)
    plan = None if planner_plan is None else read_document(planner_plan)
    protocols = candidate_protocols(
        start_day=fit.data.last_day + 1,
        horizon_days=horizon,
        planner_plan=plan,
    )
    if names:
        known = {p.name for p in protocols}
        unknown = sorted(set(names) - known)
        if unknown:
            raise ValueError(
                f"--protocol: unknown {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        protocols = [p for p in protocols if p.name in names]
    result = forecast(fit, protocols, horizon_days=horizon, draws=draws, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    save_forecast(result, out, overwrite=True)
    labels = {p.name: p.label for p in protocols}
    for measure, series, name in (
        ("phq9", fit.data.phq9, "fan_phq9.png"),
        ("pain_nrs", fit.data.nrs, "fan_nrs.png"),
    ):
        figure = fan_chart_figure(
            result.dataset,
            measure,
            observed=list(zip(series.days.tolist(), series.values.tolist(), strict=True)),
            last_day=fit.data.last_day,
            labels=labels,
        )
        save_fan_chart(figure, out / name)
    table = result.summary[SUMMARY_COLUMNS].round(2)
    lines = plain_language(
        result.summary, prior_based=result.prior_based, horizon_days=horizon, flags=result.flags
    )
    text = "\n\n".join(
        [
            "# Patient twin forecast",
            *(f"- {flag}" for flag in result.flags),
            "```\n" + table.to_string(index=False) + "\n```",
            "## In plain language",
            *lines,
        ]
    )
    atomic_write_text(out / "summary.md", text + "\n")
    if result.prior_based:
        click.echo("PRIOR-BASED: too little data for a personal forecast (see the flags)")
    click.echo(table.to_string(index=False))
    if earlier is not None:
        _compare(
            earlier, earlier_protocol, fit.data.phq9.days.tolist(), fit.data.phq9.values.tolist()
        )
    click.echo(f"forecast of {len(protocols)} protocols in {result.seconds:.1f} s; wrote {out}")


def _compare(folder: Path, protocol: str | None, days: list[int], values: list[float]) -> None:
    if protocol is None:
        raise ValueError("--earlier-protocol: required with --earlier")
    path = folder / "forecast.nc"
    if not path.is_file():
        raise ValueError(f"--earlier: {folder.name} holds no forecast.nc")
    with xr.open_dataset(path, engine="h5netcdf") as opened:
        dataset = opened.load()
    if protocol not in [str(p) for p in dataset["protocol"].values]:
        raise ValueError(f"--earlier-protocol: {protocol!r} is not in the earlier forecast")
    fitted_until = int(dataset.attrs.get("fit_last_day", -1))
    for day, value in zip(days, values, strict=True):
        if day > fitted_until:
            click.echo(compare_with_forecast(dataset, protocol, day, value).message())
