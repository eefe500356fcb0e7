"""Plain CSV import and export of instrument administrations and biomarkers.

Formats (UTF-8, comma-separated, one header line; empty cell = missing):

* administrations: ``instrument, administered_at, subject, item_1 … item_13, difficulty,
  total, severity`` - items in the instrument's order (BPI: worst, least, average, now,
  then the 7 interference items). On import every row is re-scored strictly; a ``total``
  or ``severity`` cell that disagrees with the items is an error, never silently replaced.
* instrument-specific responses (for ``hpatwin score``): one row per administration,
  columns named by item key (``phq9_1`` or ``1``/``item1``/``q1``; BPI names), optional
  ``administered_at``, ``subject``, ``difficulty``.
* cortisol: ``collected_at, value, unit, label``.
* RR intervals: a single column ``rr_ms``.
* vital signs: ``phase, minutes, heart_rate_bpm, systolic_mmhg, diastolic_mmhg``.

Errors (:class:`CsvError`) name the file, line and column. Writes are atomic.

Example
-------
>>> import tempfile, pathlib
>>> from hpatwin.clinic.instruments import score
>>> p = pathlib.Path(tempfile.mkdtemp()) / "scores.csv"
>>> write_administrations_csv(p, [AdministrationRecord(score("gad7", [1] * 7))])
>>> [r.result.total for r in read_administrations_csv(p)]
[7.0]
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hpatwin.clinic.autonomic import AutonomicError, VitalSigns
from hpatwin.clinic.cortisol import CortisolError, CortisolSample, parse_collection_time
from hpatwin.clinic.instruments import (
    InstrumentError,
    InstrumentResult,
    MissingRule,
    get_spec,
    score,
)
from hpatwin.io.atomic import atomic_write_text

__all__ = [
    "ADMINISTRATION_COLUMNS",
    "AdministrationRecord",
    "CsvError",
    "parse_cell",
    "read_administrations_csv",
    "read_cortisol_csv",
    "read_instrument_csv",
    "read_rr_csv",
    "read_vitals_csv",
    "write_administrations_csv",
    "write_cortisol_csv",
    "write_rr_csv",
    "write_vitals_csv",
]

_MAX_ITEMS = 13
ADMINISTRATION_COLUMNS: tuple[str, ...] = (
    "instrument",
    "administered_at",
    "subject",
    *(f"item_{i}" for i in range(1, _MAX_ITEMS + 1)),
    "difficulty",
    "total",
    "severity",
)
_META = ("administered_at", "subject", "patient", "id", "date")
#: columns naming the patient (``patient`` is an alias of ``subject``)
PATIENT_COLUMNS = ("subject", "patient")


class CsvError(ValueError):
    """A CSV file is malformed; the message names the file, line and column.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_text("value\\n1\\n")
    >>> try:
    ...     read_cortisol_csv(p)
    ... except CsvError as e:
    ...     print(e)
    x.csv line 1: missing column(s) collected_at, unit
    """


def parse_cell(text: str | None) -> int | float | str | None:
    """A cell as ``None`` (empty, NA, NaN), int, float, or the stripped text (left for the caller to reject).

    Example
    -------
    >>> [parse_cell(x) for x in ["", "NA", "2", "2.0", "2.5", "two"]]
    [None, None, 2, 2.0, 2.5, 'two']
    """
    if text is None:
        return None
    s = text.strip()
    if s == "" or s.lower() in ("na", "nan", "n/a", "null", "none"):
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        v = float(s)
    except ValueError:
        return s
    return v if math.isfinite(v) else s


def _read_rows(path: str | os.PathLike[str], required: Iterable[str] = ()) -> list[dict[str, str]]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CsvError(f"{p.name}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise CsvError(f"{p.name}: empty file (a header line is required)")
    header = [h.strip() for h in reader.fieldnames]
    if len(set(header)) != len(header):
        raise CsvError(f"{p.name} line 1: duplicate column names")
    missing = [c for c in required if c not in header]
    if missing:
        raise CsvError(f"{p.name} line 1: missing column(s) {', '.join(missing)}")
    rows: list[dict[str, str]] = []
    for row in reader:
        if None in row:
            raise CsvError(f"{p.name} line {reader.line_num}: more cells than header columns")
        clean = {k.strip(): (v if v is not None else "") for k, v in row.items()}
        if all(not v.strip() for v in clean.values()):
            continue
        clean["__line__"] = str(reader.line_num)
        rows.append(clean)
    return rows


def _write(
    path: str | os.PathLike[str],
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    overwrite: bool,
) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    atomic_write_text(path, buf.getvalue(), overwrite=overwrite)


def _fmt_number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _parse_time(text: str, where: str) -> datetime | None:
    s = text.strip()
    if not s:
        return None
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        raise CsvError(f"{where}: {s!r} is not an ISO 8601 date-time") from None


def _subject_cell(row: Mapping[str, str], where: str) -> str | None:
    subject, patient = row.get("subject", "").strip(), row.get("patient", "").strip()
    if subject and patient and subject != patient:
        raise CsvError(f"{where}: columns subject and patient disagree; give one patient column")
    return subject or patient or None


@dataclass(frozen=True)
class AdministrationRecord:
    """One scored administration with its time and subject, as stored in CSV.

    Example
    -------
    >>> from hpatwin.clinic.instruments import score
    >>> AdministrationRecord(score("nrs", [4]), subject="p1").subject
    'p1'
    """

    result: InstrumentResult
    administered_at: datetime | None = None
    subject: str | None = None


def write_administrations_csv(
    path: str | os.PathLike[str],
    records: Sequence[AdministrationRecord],
    *,
    overwrite: bool = True,
    subject_column: str = "subject",
) -> None:
    """Write administrations (any mix of instruments) to CSV, atomically.

    Example
    -------
    >>> import tempfile, pathlib
    >>> from hpatwin.clinic.instruments import score_phq9
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> write_administrations_csv(p, [AdministrationRecord(score_phq9([2] * 9, difficulty=1))])
    >>> p.read_text().splitlines()[1]
    'phq9,,,2,2,2,2,2,2,2,2,2,,,,,1,18,moderately severe'
    """

    def row(rec: AdministrationRecord) -> list[Any]:
        r = rec.result
        items = ["" if isinstance(v, float) and math.isnan(v) else _fmt_number(v) for v in r.items]
        items += [""] * (_MAX_ITEMS - len(items))
        when = rec.administered_at.isoformat() if rec.administered_at else ""
        return [
            r.instrument,
            when,
            rec.subject or "",
            *items,
            "" if r.difficulty is None else r.difficulty,
            _fmt_number(r.total),
            r.severity or "",
        ]

    if subject_column not in PATIENT_COLUMNS:
        raise ValueError(f"subject_column: one of {', '.join(PATIENT_COLUMNS)}")
    header = tuple(subject_column if c == "subject" else c for c in ADMINISTRATION_COLUMNS)
    _write(path, header, (row(r) for r in records), overwrite)


def read_administrations_csv(
    path: str | os.PathLike[str], *, missing: MissingRule | None = None
) -> list[AdministrationRecord]:
    """Read and re-score administrations; a total/severity cell must agree with the items.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_text("instrument,item_1,total\\nnrs,4,5\\n")
    >>> try:
    ...     read_administrations_csv(p)
    ... except CsvError as e:
    ...     print(e)
    a.csv line 2 column total: 5 does not match the score of the items (4)
    """
    name = Path(path).name
    out: list[AdministrationRecord] = []
    for row in _read_rows(path, required=("instrument",)):
        line = row["__line__"]
        where = f"{name} line {line}"
        try:
            spec = get_spec(row["instrument"])
        except InstrumentError as exc:
            raise CsvError(f"{where} column instrument: {exc}") from None
        responses: dict[str, Any] = {}
        for i, key in enumerate(spec.item_keys, start=1):
            responses[key] = parse_cell(row.get(f"item_{i}", ""))
        for j in range(spec.n_items + 1, _MAX_ITEMS + 1):
            extra = row.get(f"item_{j}", "").strip()
            if extra:
                raise CsvError(
                    f"{where} column item_{j}: {spec.name} has {spec.n_items} items, "
                    f"got a value {extra!r}"
                )
        diff = parse_cell(row.get("difficulty", ""))
        if diff is not None:
            if spec.name != "phq9":
                raise CsvError(f"{where} column difficulty: only the PHQ-9 has one")
            responses["difficulty"] = diff
        try:
            result = score(spec.name, responses, missing=missing)
        except InstrumentError as exc:
            raise CsvError(f"{where}: {exc}") from None
        total_cell = parse_cell(row.get("total", ""))
        if total_cell is not None and (
            not isinstance(total_cell, (int, float)) or abs(float(total_cell) - result.total) > 1e-9
        ):
            raise CsvError(
                f"{where} column total: {total_cell} does not match the score of the items "
                f"({_fmt_number(result.total)})"
            )
        sev = row.get("severity", "").strip()
        if sev and sev != (result.severity or ""):
            raise CsvError(
                f"{where} column severity: {sev!r} does not match the items ({result.severity!r})"
            )
        out.append(
            AdministrationRecord(
                result=result,
                administered_at=_parse_time(
                    row.get("administered_at", ""), f"{where} column administered_at"
                ),
                subject=_subject_cell(row, where),
            )
        )
    return out


def read_instrument_csv(
    path: str | os.PathLike[str], instrument: str, *, missing: MissingRule | None = None
) -> list[AdministrationRecord]:
    """Read one instrument's responses (columns named by item key), one row per administration.

    A file in the administrations format (with an ``instrument`` column) is accepted too,
    provided every row is of ``instrument``.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "phq.csv"
    >>> _ = p.write_text("subject,1,2,3,4,5,6,7,8,9\\np1,0,1,0,1,0,1,0,1,3\\n")
    >>> [(r.subject, r.result.total, r.result.urgent) for r in read_instrument_csv(p, "phq9")]
    [('p1', 7.0, True)]
    """
    spec = get_spec(instrument)
    name = Path(path).name
    rows = _read_rows(path)
    if rows and "instrument" in rows[0]:
        records = read_administrations_csv(path, missing=missing)
        for rec, row in zip(records, rows, strict=True):
            if rec.result.instrument != spec.name:
                raise CsvError(
                    f"{name} line {row['__line__']} column instrument: "
                    f"{rec.result.instrument}, expected {spec.name}"
                )
        return records
    out: list[AdministrationRecord] = []
    for row in rows:
        where = f"{name} line {row['__line__']}"
        responses = {k: parse_cell(v) for k, v in row.items() if k not in _META and k != "__line__"}
        try:
            result = score(spec.name, responses, missing=missing)
        except InstrumentError as exc:
            raise CsvError(f"{where}: {exc}") from None
        out.append(
            AdministrationRecord(
                result=result,
                administered_at=_parse_time(
                    row.get("administered_at", "") or row.get("date", ""),
                    f"{where} column administered_at",
                ),
                subject=_subject_cell(row, where),
            )
        )
    if not out:
        raise CsvError(f"{name}: no data rows")
    return out


# --------------------------------------------------------------------------------------
# Biomarkers
# --------------------------------------------------------------------------------------
def write_cortisol_csv(
    path: str | os.PathLike[str], samples: Sequence[CortisolSample], *, overwrite: bool = True
) -> None:
    """Write cortisol samples (original value and unit), atomically.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.csv"
    >>> write_cortisol_csv(p, [CortisolSample("2024-05-02T08:00", 0.4, "ug/dL", "waking")])
    >>> p.read_text().splitlines()
    ['collected_at,value,unit,label', '2024-05-02T08:00:00,0.4,µg/dL,waking']
    """
    _write(
        path,
        ("collected_at", "value", "unit", "label"),
        ((s.collected_at.isoformat(), repr(s.value), s.unit, s.label) for s in samples),
        overwrite,
    )


def read_cortisol_csv(path: str | os.PathLike[str]) -> list[CortisolSample]:
    """Read cortisol samples; a missing or impossible time is an error naming the line.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.csv"
    >>> _ = p.write_text("collected_at,value,unit\\n2024-05-02T25:00,10,nmol/L\\n")
    >>> try:
    ...     read_cortisol_csv(p)
    ... except CsvError as e:
    ...     print(str(e)[:59])
    c.csv line 2 column collected_at: collection time '2024-05-
    """
    name = Path(path).name
    out: list[CortisolSample] = []
    for row in _read_rows(path, required=("collected_at", "value", "unit")):
        where = f"{name} line {row['__line__']}"
        value = parse_cell(row["value"])
        if value is None or isinstance(value, str):
            raise CsvError(f"{where} column value: {row['value']!r} is not a number")
        try:
            when = row["collected_at"].strip()
            if not when:
                raise CortisolError("collection time is missing")
            sample = CortisolSample(
                parse_collection_time(when), value, row["unit"], row.get("label", "").strip()
            )
        except CortisolError as exc:
            column = "collected_at" if "time" in str(exc) else "value/unit"
            raise CsvError(f"{where} column {column}: {exc}") from None
        out.append(sample)
    return out


def write_rr_csv(
    path: str | os.PathLike[str], rr_ms: Sequence[float], *, overwrite: bool = True
) -> None:
    """Write RR intervals (ms), one per line, atomically.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "rr.csv"
    >>> write_rr_csv(p, [800.0, 812.5]); read_rr_csv(p)
    [800.0, 812.5]
    """
    _write(path, ("rr_ms",), ((repr(float(v)),) for v in rr_ms), overwrite)


def read_rr_csv(path: str | os.PathLike[str]) -> list[float]:
    """Read RR intervals from the ``rr_ms`` column.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "rr.csv"
    >>> _ = p.write_text("rr_ms\\n800\\nabc\\n")
    >>> try:
    ...     read_rr_csv(p)
    ... except CsvError as e:
    ...     print(e)
    rr.csv line 3 column rr_ms: 'abc' is not a number
    """
    name = Path(path).name
    out: list[float] = []
    for row in _read_rows(path, required=("rr_ms",)):
        v = parse_cell(row["rr_ms"])
        if v is None or isinstance(v, str):
            raise CsvError(
                f"{name} line {row['__line__']} column rr_ms: {row['rr_ms']!r} is not a number"
            )
        out.append(float(v))
    return out


_VITALS_COLUMNS = ("phase", "minutes", "heart_rate_bpm", "systolic_mmhg", "diastolic_mmhg")


def write_vitals_csv(
    path: str | os.PathLike[str], readings: Sequence[VitalSigns], *, overwrite: bool = True
) -> None:
    """Write vital-sign readings around a session, atomically.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "v.csv"
    >>> write_vitals_csv(p, [VitalSigns("before", 5, 72, 120, 80)])
    >>> read_vitals_csv(p)[0].systolic_mmhg
    120.0
    """
    _write(
        path,
        _VITALS_COLUMNS,
        (
            (r.phase, _fmt_number(r.minutes), r.heart_rate_bpm, r.systolic_mmhg, r.diastolic_mmhg)
            for r in readings
        ),
        overwrite,
    )


def read_vitals_csv(path: str | os.PathLike[str]) -> list[VitalSigns]:
    """Read vital-sign readings; errors name the line.

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "v.csv"
    >>> _ = p.write_text("phase,minutes,heart_rate_bpm\\nafter,40,70\\n")
    >>> try:
    ...     read_vitals_csv(p)
    ... except CsvError as e:
    ...     print(str(e)[:50])
    v.csv line 2: after-session reading at 40 min: out
    """
    name = Path(path).name
    out: list[VitalSigns] = []
    for row in _read_rows(path, required=("phase", "minutes")):
        where = f"{name} line {row['__line__']}"
        cells: Mapping[str, Any] = {c: parse_cell(row.get(c, "")) for c in _VITALS_COLUMNS[1:]}
        try:
            out.append(
                VitalSigns(
                    row["phase"].strip(),  # type: ignore[arg-type]
                    cells["minutes"],
                    cells["heart_rate_bpm"],
                    cells["systolic_mmhg"],
                    cells["diastolic_mmhg"],
                )
            )
        except AutonomicError as exc:
            raise CsvError(f"{where}: {exc}") from None
    return out
