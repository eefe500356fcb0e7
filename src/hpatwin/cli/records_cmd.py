"""``hpatwin records``: the patient record store from the command line.

Examples (shell)::

    hpatwin records init                                  # ~/.local/share/hpatwin/records.db
    hpatwin records --db clinic.db add-patient p001 --birth-year 1978 --sex female
    hpatwin records --db clinic.db add-assessment p001 phq9 2 2 1 1 2 1 1 0 0 --at 2024-03-01T09:00
    hpatwin records --db clinic.db add-session p001 --at 2024-03-01T09:15 --modality ea \\
        --point LI4 --point LR3 --pair LI4-LR3 --frequency-hz 2/100 --intensity-ma 2.5 --duration-min 30
    hpatwin records --db clinic.db show p001
    hpatwin records --db postgresql://clinic@localhost/hpatwin patients
    hpatwin records --db clinic.db export --patient p001 --format fhir p001.json
    hpatwin records --db clinic.db import p001.json scores.csv
    hpatwin records --db clinic.db backup clinic-backup.db

Errors are one line naming the file, field and allowed range (exit status 1), never a
traceback and never patient data.

Example
-------
>>> import tempfile, pathlib
>>> from click.testing import CliRunner
>>> db = str(pathlib.Path(tempfile.mkdtemp()) / "r.db")
>>> runner = CliRunner()
>>> print(runner.invoke(command, ["--db", db, "init"]).output.split(":")[0])
records store at sqlite
>>> print(runner.invoke(command, ["--db", db, "show", "nobody"]).output.strip())
Error: patient: no such patient id in this store
"""

from __future__ import annotations

import functools
import getpass
import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from hpatwin.clinic.instruments import get_spec
from hpatwin.errors import HpatwinError
from hpatwin.records.backup import backup as backup_store
from hpatwin.records.csv_io import CsvError, parse_cell
from hpatwin.records.db import redacted
from hpatwin.records.entries import (
    AdverseEvent,
    AssessmentEntry,
    EpisodeEntry,
    PatientEntry,
    PatientRecord,
    SessionEntry,
)
from hpatwin.records.exchange import export_csv, export_fhir, import_file
from hpatwin.records.fhir import FhirError
from hpatwin.records.store import RecordStore
from hpatwin.records.tracking import courses, review_flags, timeline
from hpatwin.records.validation import MODALITIES

__all__ = ["command"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _one_line_errors(function: Callable[_P, _T]) -> Callable[_P, _T]:
    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return function(*args, **kwargs)
        except (HpatwinError, CsvError, FhirError) as exc:
            raise click.ClickException(str(exc)) from None
        except FileNotFoundError as exc:
            raise click.ClickException(f"{Path(str(exc.filename)).name}: no such file") from None
        except PermissionError as exc:
            raise click.ClickException(
                f"{Path(str(exc.filename)).name}: permission denied"
            ) from None
        except SQLAlchemyError as exc:  # details may quote stored values: name the kind only
            raise click.ClickException(
                f"database error ({type(exc).__name__}); check --db or HPATWIN_DATABASE_URL"
            ) from None

    return wrapper


def _store(ctx: click.Context) -> RecordStore:
    store: RecordStore = ctx.obj["store"]
    return store


def _actor(ctx: click.Context) -> str:
    actor: str = ctx.obj["actor"]
    return actor


def _when(text: str | None, option: str) -> datetime:
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            "not an ISO 8601 date-time (e.g. 2024-03-01T09:00)", param_hint=option
        ) from None
    return when


@click.group("records")
@click.option(
    "--db",
    "database",
    default=None,
    help="Database: a file path or URL (sqlite:///…, postgresql://…). "
    "Default: $HPATWIN_DATABASE_URL, else ~/.local/share/hpatwin/records.db.",
)
@click.option(
    "--user",
    "actor",
    default=None,
    help="Who is writing (stored with every change). Default: the login name.",
)
@click.pass_context
@_one_line_errors
def command(ctx: click.Context, database: str | None, actor: str | None) -> None:
    """Patient records: patients, sessions, assessments, biomarkers, plans (SQLite or PostgreSQL)."""
    store = RecordStore(database)
    ctx.obj = {"store": store, "actor": actor or getpass.getuser()}
    ctx.call_on_close(store.close)


@command.command("init")
@click.pass_context
@_one_line_errors
def init_cmd(ctx: click.Context) -> None:
    """Create the database or upgrade it to the newest schema."""
    store = _store(ctx)
    revision = store.init()
    click.echo(f"records store at {redacted(store.url)}: schema revision {revision}")


@command.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_context
@_one_line_errors
def import_cmd(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Import FHIR Bundles (.json) or CSV (.csv, with a patient column); each file is all or nothing."""
    for file in files:
        report = import_file(_store(ctx), file, actor=_actor(ctx))
        click.echo(f"{Path(file).name}: {report.summary()}")


@command.command("export")
@click.option(
    "--patient", "patients", multiple=True, help="Patient id (FHIR: exactly one; CSV: default all)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["fhir", "csv"]), default="fhir", show_default=True
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.argument("output", type=click.Path(dir_okay=False))
@click.pass_context
@_one_line_errors
def export_cmd(
    ctx: click.Context, patients: tuple[str, ...], fmt: str, overwrite: bool, output: str
) -> None:
    """Export a patient's FHIR R4 Bundle, or assessments as CSV, to OUTPUT."""
    if fmt == "fhir":
        if len(patients) != 1:
            raise click.UsageError("--format fhir exports one patient: give exactly one --patient")
        export_fhir(_store(ctx), patients[0], output, overwrite=overwrite)
        click.echo(f"FHIR bundle written to {output}")
        return
    n = export_csv(_store(ctx), output, list(patients) or None, overwrite=overwrite)
    click.echo(f"{n} assessment(s) written to {output}")


@command.command("patients")
@click.pass_context
@_one_line_errors
def patients_cmd(ctx: click.Context) -> None:
    """List patients (pseudonymous id, birth year, sex, open alerts)."""
    store = _store(ctx)
    rows = store.patients()
    if not rows:
        click.echo("no patients")
    for p in rows:
        record = store.load(p.entry.pseudonym)
        alerts = f"  {len(record.open_alerts)} OPEN ALERT(S)" if record.open_alerts else ""
        year = p.entry.birth_year or "----"
        click.echo(
            f"{p.entry.pseudonym:<16} {year}  {p.entry.sex:<8} {len(record.sessions):>3} sessions{alerts}"
        )


def _show_text(record: PatientRecord) -> list[str]:
    p = record.patient.entry
    lines = [f"patient {p.pseudonym} (version {record.patient.version})"]
    for alert in record.open_alerts:
        lines.append(
            f"  !! OPEN ALERT #{alert.id} ({alert.entry.level}) {alert.entry.code}: {alert.entry.message}"
        )
    lines.append(
        f"  birth year {p.birth_year or 'unknown'}, sex {p.sex}, hepatic function {p.hepatic_function}"
    )
    if p.creatinine_clearance_ml_min is not None:
        lines.append(f"  creatinine clearance {p.creatinine_clearance_ml_min:g} mL/min")
    if p.pregnant:
        lines.append(
            f"  pregnant (from {p.pregnancy_start_on or '?'}, due {p.pregnancy_due_on or '?'})"
        )
    if p.lactating:
        lines.append("  lactating")
    for label, values in (
        ("conditions", p.conditions),
        ("allergies", p.allergies),
        ("implanted devices", p.implanted_devices),
    ):
        if values:
            lines.append(f"  {label}: {', '.join(values)}")
    for m in record.medications:
        stop = f" until {m.entry.stopped_on}" if m.entry.stopped_on else ""
        lines.append(
            f"  medication: {m.entry.drug} {m.entry.dose:g} {m.entry.dose_unit} {m.entry.frequency} from {m.entry.started_on}{stop}"
        )
    lines.append(
        f"  {len(record.sessions)} session(s), {len(record.assessments)} assessment(s), "
        f"{len(record.cortisol)} cortisol sample(s), {len(record.hrv)} HRV recording(s)"
    )
    for instrument, course in courses(record).items():
        met = ", ".join(
            f"{name}: {'yes' if ok else 'no'}"
            for name, ok in course.latest_met.items()
            if ok is not None
        )
        base, last = course.points[0].value, course.points[-1].value
        lines.append(
            f"  course {instrument}: {base:g} -> {last:g} ({len(course.points)} administrations); {met}"
        )
    for flag in review_flags(record):
        lines.append(f"  REVIEW: {flag.message()}")
    return lines


@command.command("show")
@click.argument("patient")
@click.option("--json", "as_json", is_flag=True, help="Print the full record as JSON.")
@click.pass_context
@_one_line_errors
def show_cmd(ctx: click.Context, patient: str, as_json: bool) -> None:
    """Show a patient: safety-relevant details, open alerts, courses and review flags."""
    record = _store(ctx).load(patient)
    if as_json:
        click.echo(json.dumps(asdict(record), indent=2, default=str, ensure_ascii=False))
        return
    click.echo("\n".join(_show_text(record)))


@command.command("timeline")
@click.argument("patient")
@click.pass_context
@_one_line_errors
def timeline_cmd(ctx: click.Context, patient: str) -> None:
    """Every dated event of a patient, oldest first."""
    for event in timeline(_store(ctx).load(patient)):
        click.echo(event.line())


@command.command("add-patient")
@click.argument("patient")
@click.option("--birth-year", type=int, default=None)
@click.option("--sex", type=click.Choice(["female", "male", "other", "unknown"]), default="unknown")
@click.pass_context
@_one_line_errors
def add_patient_cmd(ctx: click.Context, patient: str, birth_year: int | None, sex: str) -> None:
    """Add a patient under a pseudonymous id."""
    stored = _store(ctx).add_patient(
        PatientEntry(patient, birth_year=birth_year, sex=sex), actor=_actor(ctx)
    )
    click.echo(f"patient {stored.entry.pseudonym} added")


@command.command("add-assessment")
@click.argument("patient")
@click.argument("instrument")
@click.argument("responses", nargs=-1, required=True)
@click.option("--at", "at", default=None, help="When it was answered (ISO 8601; default now, UTC).")
@click.option("--difficulty", type=int, default=None, help="PHQ-9 difficulty question (0-3).")
@click.pass_context
@_one_line_errors
def add_assessment_cmd(
    ctx: click.Context,
    patient: str,
    instrument: str,
    responses: tuple[str, ...],
    at: str | None,
    difficulty: int | None,
) -> None:
    """Score (as `hpatwin score` does) and store an administration of INSTRUMENT."""
    items: Any = tuple(parse_cell(r) for r in responses)
    entry = AssessmentEntry(instrument, _when(at, "--at"), items, difficulty)
    stored = _store(ctx).add_assessment(patient, entry, actor=_actor(ctx))
    scored = stored.entry
    spec = get_spec(scored.entry.instrument)
    if "phq9_item9_positive" in scored.alert_codes:
        click.echo(
            "!! URGENT: PHQ-9 item 9 positive - immediate clinical evaluation; alert stored until acknowledged"
        )
    severity = f", {scored.severity}" if scored.severity else ""
    click.echo(
        f"{spec.title}: total {scored.total:g}{severity} (stored #{stored.id}, {scored.scoring_version})"
    )


def _pairs(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out = []
    for value in values:
        first, sep, second = value.partition("-")
        if not sep:
            raise click.BadParameter(
                "use two point codes joined by '-', e.g. LI4-LR3", param_hint="--pair"
            )
        out.append((first, second))
    return tuple(out)


def _events(values: tuple[str, ...]) -> tuple[AdverseEvent, ...]:
    out = []
    for value in values:
        description, sep, severity = value.rpartition(":")
        if not sep:
            raise click.BadParameter(
                "use DESCRIPTION:SEVERITY, e.g. bruising:mild", param_hint="--adverse-event"
            )
        out.append(AdverseEvent(description, severity))
    return tuple(out)


@command.command("add-session")
@click.argument("patient")
@click.option("--at", "at", default=None, help="Start (ISO 8601; default now, UTC).")
@click.option("--modality", type=click.Choice(MODALITIES), required=True)
@click.option("--duration-min", type=float, required=True)
@click.option("--point", "points", multiple=True, help="Acupoint WHO code (repeat).")
@click.option("--pair", "pairs", multiple=True, help="Electrode pair, e.g. LI4-LR3 (repeat).")
@click.option(
    "--frequency-hz", default=None, help="EA frequency: 2, 100, 2/100 (dense-disperse) or any."
)
@click.option("--intensity-ma", type=float, default=None, help="EA intensity in mA.")
@click.option(
    "--adverse-event",
    "events",
    multiple=True,
    help="DESCRIPTION:SEVERITY (mild, moderate, severe).",
)
@click.option(
    "--episode-start",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Start date of the treatment episode it belongs to.",
)
@click.pass_context
@_one_line_errors
def add_session_cmd(
    ctx: click.Context,
    patient: str,
    at: str | None,
    modality: str,
    duration_min: float,
    points: tuple[str, ...],
    pairs: tuple[str, ...],
    frequency_hz: str | None,
    intensity_ma: float | None,
    events: tuple[str, ...],
    episode_start: datetime | None,
) -> None:
    """Store a treatment session as delivered."""
    episode = None if episode_start is None else episode_start.date()
    entry = SessionEntry(
        _when(at, "--at"),
        duration_min,
        modality,
        points,
        _pairs(pairs),
        frequency_hz,
        intensity_ma,
        _events(events),
        episode,
    )
    stored = _store(ctx).add_session(patient, entry, actor=_actor(ctx))
    record = _store(ctx).load(patient)
    click.echo(f"session {len(record.sessions)} stored (#{stored.id})")
    for flag in review_flags(record):
        click.echo(f"REVIEW: {flag.message()}")


@command.command("add-episode")
@click.argument("patient")
@click.option("--title", required=True, help="e.g. 'EA course, low back pain'.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.pass_context
@_one_line_errors
def add_episode_cmd(
    ctx: click.Context, patient: str, title: str, start: datetime, end: datetime | None
) -> None:
    """Add a treatment episode (sessions join it with --episode-start)."""
    entry = EpisodeEntry(title, start.date(), None if end is None else end.date())
    stored = _store(ctx).add_episode(patient, entry, actor=_actor(ctx))
    click.echo(f"episode from {stored.entry.started_on} stored (#{stored.id})")


@command.command("acknowledge")
@click.argument("alert_id", type=int)
@click.option(
    "--action", required=True, help="What was done (e.g. structured suicide-risk assessment)."
)
@click.pass_context
@_one_line_errors
def acknowledge_cmd(ctx: click.Context, alert_id: int, action: str) -> None:
    """Acknowledge an alert: who (--user), when (now) and the action taken."""
    stored = _store(ctx).acknowledge_alert(alert_id, action, actor=_actor(ctx))
    click.echo(f"alert #{stored.id} acknowledged by {stored.entry.acknowledged_by}")


@command.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
@click.option("--overwrite", is_flag=True, help="Replace an existing backup file.")
@click.pass_context
@_one_line_errors
def backup_cmd(ctx: click.Context, destination: str, overwrite: bool) -> None:
    """Copy the store consistently (SQLite online backup; PostgreSQL via pg_dump)."""
    method = backup_store(_store(ctx), destination, overwrite=overwrite)
    click.echo(f"backup written to {destination} ({method})")
