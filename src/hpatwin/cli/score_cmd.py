"""``hpatwin score``: score a clinical instrument from arguments, a CSV file or JSON.

Examples (shell)::

    hpatwin score phq9 1 2 1 0 1 2 1 0 1 --difficulty 1
    hpatwin score gad7 --csv gad7.csv --course
    hpatwin score pcs --input-json responses.json --json
    hpatwin score --list

Responses are validated strictly: a bad item stops with a message naming it and exit
status 2; nothing is scored silently. An urgent alert (PHQ-9 item 9) is printed first.

Example
-------
>>> from click.testing import CliRunner
>>> out = CliRunner().invoke(command, ["nrs", "7"]).output
>>> "total: 7 / 10" in out
True
"""

from __future__ import annotations

import itertools
import json
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from hpatwin.clinic.instruments import (
    InstrumentError,
    get_spec,
    instrument_names,
    score,
    score_phq9,
)
from hpatwin.clinic.outcomes import OutcomeError, compare_course
from hpatwin.io.atomic import check_writable
from hpatwin.io.documents import DocumentError, parse_document_text, read_document
from hpatwin.io.text import one_line
from hpatwin.records.csv_io import AdministrationRecord, CsvError, iter_instrument_csv, parse_cell
from hpatwin.records.fhir import FhirError, questionnaire_response, score_observation, write_bundle

__all__ = ["command"]

_DIFFICULTY = (
    "not difficult at all",
    "somewhat difficult",
    "very difficult",
    "extremely difficult",
)


def _fmt(v: float) -> str:
    return f"{v:g}" if float(v).is_integer() else f"{v:.2f}"


def _render(rec: AdministrationRecord, index: int | None) -> str:
    r = rec.result
    spec = get_spec(r.instrument)
    head = f"{spec.title} ({r.instrument})"
    if index is not None:
        head += f" - administration {index}"
    if rec.administered_at is not None:
        head += f" - {rec.administered_at.isoformat()}"
    if rec.subject:
        # free text from a file: control sequences could hide the URGENT line below
        head += f" - subject {one_line(str(rec.subject), limit=80)}"
    lines = [head]
    for a in r.alerts:
        if a.level == "urgent":
            lines.append(f"  !! URGENT: {a.message}")
            lines.append(f"     source: {a.source}")
    total_label = "total" if r.instrument != "bpi" else "total (pain severity composite)"
    lines.append(f"  {total_label}: {_fmt(r.total)} / {_fmt(r.max_total)}")
    if r.severity is not None:
        label = "worst-pain category" if r.instrument == "bpi" else "severity"
        lines.append(f"  {label}: {r.severity}")
        lines.append(f"    source: {r.severity_source}")
    if r.subscales:
        kind = "mean" if spec.subscale_kind == "mean" else "sum"
        lines.append(f"  subscales ({kind} of items):")
        for name, value in r.subscales.items():
            lines.append(f"    {name}: {_fmt(value)}")
    items = " ".join("-" if v != v else _fmt(v) for v in r.items)
    lines.append(f"  items: {items}")
    if r.missing_items:
        lines.append(
            f"  prorated for missing item(s) {', '.join(map(str, r.missing_items))} "
            f"({r.missing_rule_source})"
        )
    if r.difficulty is not None:
        lines.append(
            f"  difficulty: {r.difficulty} ({_DIFFICULTY[r.difficulty]}) - not part of the score"
        )
    for a in r.alerts:
        if a.level != "urgent":
            lines.append(f"  [{a.level}] {a.message}")
    return "\n".join(lines)


MAX_COLLECTED = 100_000
"""Most administrations held in memory at once (--course, --fhir-out); plain scoring streams."""


def _checked_stream(stream: Iterator[AdministrationRecord]) -> Iterator[AdministrationRecord]:
    try:
        yield from stream
    except (CsvError, InstrumentError) as exc:
        raise click.BadParameter(str(exc), param_hint="--csv") from None


def _record_json(rec: AdministrationRecord) -> dict[str, Any]:
    return {
        **rec.result.to_dict(),
        "administered_at": rec.administered_at.isoformat() if rec.administered_at else None,
        "subject": rec.subject,
    }


def _emit_stream(stream: Iterator[AdministrationRecord], as_json: bool) -> None:
    """Print administrations as they are scored (text, or the same JSON as the list form)."""
    records = _checked_stream(stream)
    first = next(records)
    second = next(records, None)
    many = second is not None
    chained = itertools.chain([first], [] if second is None else [second], records)
    if as_json:
        click.echo('{\n  "administrations": [')
        for index, rec in enumerate(chained):
            text = textwrap.indent(
                json.dumps(_record_json(rec), indent=2, ensure_ascii=False), "    "
            )
            click.echo(("" if index == 0 else ",\n") + text, nl=False)
        click.echo("\n  ]\n}")
        return
    for index, rec in enumerate(chained, start=1):
        click.echo(("" if index == 1 else "\n") + _render(rec, index if many else None))


def _records_from_json(path: str, instrument: str) -> list[AdministrationRecord]:
    try:
        if path == "-":
            data = parse_document_text(sys.stdin.read(), "standard input", json_format=True)
        else:
            data = read_document(Path(path), require_mapping=False)
    except DocumentError as exc:
        raise click.BadParameter(
            f"{exc.source_label}: {exc.detail}", param_hint="--input-json"
        ) from None
    # one administration: a list of numbers or a mapping; several: a list of those
    if isinstance(data, dict) or (
        isinstance(data, list) and not any(isinstance(x, (dict, list)) for x in data)
    ):
        data = [data]
    if not isinstance(data, list) or not data:
        raise click.BadParameter("expected a list or an object", param_hint="--input-json")
    out: list[AdministrationRecord] = []
    for i, entry in enumerate(data, start=1):
        when = subject = None
        responses: Any = entry
        if isinstance(entry, dict) and "responses" in entry:
            responses = entry["responses"]
            if isinstance(responses, dict) and "difficulty" in entry:
                responses = {**responses, "difficulty": entry["difficulty"]}
            raw_when = entry.get("administered_at")
            if raw_when is not None:
                try:
                    when = datetime.fromisoformat(str(raw_when))
                except ValueError:
                    raise click.BadParameter(
                        f"administration {i}: administered_at {raw_when!r} is not ISO 8601",
                        param_hint="--input-json",
                    ) from None
            subject = entry.get("subject")
        elif isinstance(entry, dict):
            responses = {k: v for k, v in entry.items() if k not in ("administered_at", "subject")}
        try:
            result = score(instrument, responses)
        except InstrumentError as exc:
            raise click.BadParameter(
                f"administration {i}: {exc}", param_hint="--input-json"
            ) from None
        out.append(AdministrationRecord(result, when, subject))
    return out


def _check_course_rows(records: list[AdministrationRecord]) -> None:
    """Refuse inputs that would merge patients or silently reorder administrations."""
    with_subject = [i for i, r in enumerate(records, start=1) if r.subject is not None]
    if with_subject and len(with_subject) != len(records):
        missing = next(i for i, r in enumerate(records, start=1) if r.subject is None)
        raise OutcomeError(
            f"administration {missing} has no patient while others have one; "
            "give every row a patient (column 'patient' or 'subject')"
        )
    dated = [r.administered_at is not None for r in records]
    if any(dated) and not all(dated):
        missing = dated.index(False) + 1
        raise OutcomeError(
            f"administration {missing} has no administered_at while others have one; "
            "give every row a date or none (file order is used only when no row has a date)"
        )
    if not with_subject and all(dated):
        times = [r.administered_at for r in records]
        if len(set(times)) != len(times):
            raise OutcomeError(
                "several administrations share the same time, as if from several patients; "
                "add a patient column to compare each patient's own course"
            )


def _one_course(records: list[AdministrationRecord]) -> tuple[list[str], dict[str, Any]]:
    pairs: list[Any]
    if all(r.administered_at is not None for r in records):
        pairs = [(r.administered_at, r.result) for r in records]
    else:
        pairs = [r.result for r in records]
    course = compare_course(pairs)
    lines: list[str] = []
    names = [c.name for c in course.criteria]
    lines.append("  #  value  change   %change  " + "  ".join(names))
    for p in course.points:
        pct = "" if p.percent_change is None else f"{p.percent_change:+.0f}%"
        met = "  ".join(
            ("-" if p.index == 0 else {True: "yes", False: "no", None: "n/a"}[p.met[n]]).ljust(
                len(n)
            )
            for n in names
        )
        lines.append(f"  {p.index:<2} {_fmt(p.value):>5}  {p.change:+6g}  {pct:>7}  {met}")
    lines.append("  definitions:")
    for c in course.criteria:
        lines.append(f"    {c.describe()} [{c.evidence}] - {c.source}")
    return lines, course.to_dict()


def _course_text(records: list[AdministrationRecord]) -> tuple[str, dict[str, Any]]:
    """The course, or one course per patient when rows name patients.

    Rows with and without a patient, or with and without a date, are refused: a merged
    course or a silent reorder would report the wrong response.
    """
    _check_course_rows(records)
    patients = list(dict.fromkeys(r.subject for r in records if r.subject is not None))
    if len(patients) <= 1:
        lines, payload = _one_course(records)
        head = "Course (first administration = baseline):"
        if patients:
            head = f"Course for patient {patients[0]} (first administration = baseline):"
            payload = {**payload, "subject": patients[0]}
        return "\n".join([head, *lines]), payload
    texts: list[str] = []
    per_patient: dict[str, Any] = {}
    for patient in patients:
        own = [r for r in records if r.subject == patient]
        head = f"Course for patient {patient} (first administration = baseline):"
        if len(own) < 2:
            texts.append(f"{head}\n  only one administration: no course")
            per_patient[patient] = None
            continue
        lines, payload = _one_course(own)
        texts.append("\n".join([head, *lines]))
        per_patient[patient] = payload
    return "\n\n".join(texts), {"per_patient": per_patient}


@click.command("score")
@click.argument("instrument", required=False)
@click.argument("responses", nargs=-1)
@click.option("--difficulty", type=str, default=None, help="PHQ-9 difficulty question (0-3).")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV with one administration per row (columns named by item key).",
)
@click.option(
    "--input-json",
    "json_path",
    type=str,
    help="JSON file ('-' for stdin): a list of responses, an object of item keys, or a list "
    "of {responses, administered_at, subject}.",
)
@click.option("--course", is_flag=True, help="Compare administrations (first = baseline).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option(
    "--fhir-out",
    type=click.Path(dir_okay=False),
    help="Also write a FHIR R4 Bundle (QuestionnaireResponse + Observation per administration).",
)
@click.option("--overwrite", is_flag=True, help="Allow --fhir-out to replace an existing file.")
@click.option("--list", "list_only", is_flag=True, help="List the instruments and exit.")
def command(
    instrument: str | None,
    responses: tuple[str, ...],
    difficulty: str | None,
    csv_path: str | None,
    json_path: str | None,
    course: bool,
    as_json: bool,
    fhir_out: str | None,
    overwrite: bool,
    list_only: bool,
) -> None:
    """Score INSTRUMENT (phq9, gad7, nrs, bpi, pcs, isi) from RESPONSES, --csv or --input-json."""
    if list_only:
        rows = []
        for name in instrument_names():
            spec = get_spec(name)
            rows.append(
                {
                    "instrument": name,
                    "title": spec.title,
                    "items": spec.n_items,
                    "range": f"{spec.item_min}-{spec.item_max}",
                    "item_keys": list(spec.item_keys),
                    "source": spec.source,
                }
            )
        if as_json:
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            for r in rows:
                click.echo(f"{r['instrument']:<5} {r['title']} ({r['items']} items, {r['range']})")
        return
    if instrument is None:
        raise click.UsageError("INSTRUMENT is required (or --list)")
    try:
        spec = get_spec(instrument)
    except InstrumentError as exc:
        raise click.BadParameter(str(exc), param_hint="INSTRUMENT") from None
    sources = sum(bool(x) for x in (responses, csv_path, json_path))
    if sources != 1:
        raise click.UsageError("give the responses as arguments, or --csv, or --input-json (one)")
    if difficulty is not None and (spec.name != "phq9" or not responses):
        raise click.UsageError("--difficulty is for PHQ-9 responses given as arguments")
    if fhir_out:
        if Path(fhir_out).exists() and not overwrite:
            raise click.ClickException(f"{fhir_out} exists; pass --overwrite to replace it")
        check_writable(fhir_out)  # before any work
    records: list[AdministrationRecord]
    if responses:
        values: Any = [parse_cell(v) for v in responses]
        try:
            if spec.name == "phq9":
                diff: Any = parse_cell(difficulty) if difficulty is not None else None
                result = score_phq9(values, difficulty=diff)
            else:
                result = score(spec.name, values)
        except InstrumentError as exc:
            raise click.BadParameter(str(exc), param_hint="RESPONSES") from None
        records = [AdministrationRecord(result)]
    elif csv_path:
        stream = iter_instrument_csv(csv_path, spec.name)
        if not course and not fhir_out:
            # streamed: memory stays flat however long the file is (BENCHMARKS.md)
            _emit_stream(stream, as_json)
            return
        records = []
        for rec in _checked_stream(stream):
            records.append(rec)
            if len(records) > MAX_COLLECTED:
                raise click.BadParameter(
                    f"more than {MAX_COLLECTED} administrations for --course/--fhir-out; "
                    "split the file",
                    param_hint="--csv",
                )
    else:
        assert json_path is not None
        records = _records_from_json(json_path, spec.name)
    course_text = course_json = None
    if course:
        try:
            course_text, course_json = _course_text(records)
        except OutcomeError as exc:
            raise click.UsageError(f"--course: {exc}") from None
    if fhir_out:
        resources: list[dict[str, Any]] = []
        now = datetime.now(UTC).replace(microsecond=0)
        try:
            for rec in records:
                when = rec.administered_at or now
                qr = questionnaire_response(rec.result, when, subject=rec.subject, assume_tz=UTC)
                resources.append(qr)
                resources.append(
                    score_observation(
                        rec.result,
                        when,
                        subject=rec.subject,
                        derived_from=f"QuestionnaireResponse/{qr['id']}",
                        assume_tz=UTC,
                    )
                )
            write_bundle(fhir_out, resources, overwrite=overwrite)
        except (FhirError, FileExistsError) as exc:
            raise click.ClickException(f"--fhir-out: {exc}") from None
    if as_json:
        payload: dict[str, Any] = {"administrations": [_record_json(rec) for rec in records]}
        if course_json is not None and "per_patient" in course_json:
            payload["courses"] = course_json["per_patient"]
        elif course_json is not None:
            payload["course"] = course_json
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    many = len(records) > 1
    click.echo(
        "\n\n".join(_render(rec, i if many else None) for i, rec in enumerate(records, start=1))
    )
    if course_text:
        click.echo("\n" + course_text)
    if fhir_out:
        click.echo(f"\nFHIR bundle written to {fhir_out}")
