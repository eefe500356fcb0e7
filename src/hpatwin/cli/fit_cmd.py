"""``hpatwin fit``: fit the patient twin to one patient (records database or FHIR/CSV file)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from hpatwin.io.atomic import check_writable, refuse_overwrite
from hpatwin.patient_twin.data import PatientData, patient_data_from_file, patient_data_from_store
from hpatwin.patient_twin.fit import FitSettings, fit_patient, summary_lines
from hpatwin.patient_twin.smc import SMCSettings
from hpatwin.patient_twin.store import save_fit
from hpatwin.records.store import RecordStore

MIN_PARTICLES, MAX_PARTICLES = 64, 16384


def parse_as_of(text: str | None) -> datetime | None:
    """``--as-of`` as an aware UTC date-time (a date means the end of that day).

    Example
    -------
    >>> parse_as_of("2024-03-01").isoformat()
    '2024-03-01T23:59:59+00:00'
    >>> parse_as_of("yesterday")
    Traceback (most recent call last):
    ...
    ValueError: --as-of: 'yesterday' is not an ISO 8601 date or date-time (e.g. 2024-03-01)
    """
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"--as-of: {text!r} is not an ISO 8601 date or date-time (e.g. 2024-03-01)"
        ) from None
    if len(text) == 10:
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_data(
    database: str | None, file: Path | None, patient: str | None, as_of: datetime | None
) -> PatientData:
    """The patient's data from a file or a records database (exactly one source)."""
    if (file is None) == (database is None):
        raise ValueError("give exactly one source: --db URL (with --patient) or --file PATH")
    if file is not None:
        return patient_data_from_file(file, patient, as_of=as_of)
    if patient is None:
        raise ValueError("--patient: required with --db (the patient's pseudonymous id)")
    store = RecordStore(database)
    try:
        return patient_data_from_store(store, patient, as_of=as_of)
    finally:
        store.close()


@click.command("fit")
@click.option("--db", "database", default=None, help="Records database (path or URL).")
@click.option(
    "--file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A FHIR Bundle (.json) or records CSV file instead of a database.",
)
@click.option("--patient", default=None, help="Pseudonymous patient id.")
@click.option("--as-of", default=None, help="Use only data recorded up to this date/time.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Fit file to write (.nc).",
)
@click.option(
    "--particles",
    type=click.IntRange(MIN_PARTICLES, MAX_PARTICLES),
    default=1024,
    show_default=True,
    help="SMC particles (a multiple of 4).",
)
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing fit file.")
def command(
    database: str | None,
    file: Path | None,
    patient: str | None,
    as_of: str | None,
    out: Path,
    particles: int,
    seed: int,
    overwrite: bool,
) -> None:
    """Fit the patient twin to one patient's record and store the fit.

    The fit file holds the posterior, the data snapshot, settings, version and diagnostics;
    ``hpatwin forecast FIT`` forecasts candidate protocols from it.
    """
    if particles % 4:
        raise ValueError(f"--particles: {particles} must be a multiple of 4 (four SMC islands)")
    refuse_overwrite(out, overwrite)
    check_writable(out)
    data = load_data(database, file, patient, parse_as_of(as_of))
    settings = FitSettings(smc=SMCSettings(n_particles=particles, n_islands=4, seed=seed))
    click.echo(
        f"fitting {data.n_observations} observations over {data.last_day + 1} days "
        f"with {particles} particles…",
        err=True,
    )
    fit = fit_patient(data, settings)
    save_fit(fit, out, overwrite=True)
    for line in summary_lines(fit):
        click.echo(line)
    table = fit.identifiability()
    click.echo(
        table[
            [
                "quantity",
                "unit",
                "prior_median",
                "posterior_median",
                "posterior_p10",
                "posterior_p90",
                "width_ratio",
                "informed",
            ]
        ]
        .round(3)
        .to_string(index=False)
    )
    click.echo(f"wrote {out}")
