"""Concurrent writers against one store: real processes adding assessments and sessions.

Used by the concurrency test (bounded) and ``benchmarks/bench_records.py`` (60 s per
backend). Each writer process opens its own :class:`~hpatwin.records.store.RecordStore`,
alternates PHQ-9 assessments and sessions for two shared patients (so writers contend
for the same rows and locks) until its time is up, and records every write the store
acknowledged (the transaction committed). :func:`run_writers` then checks that every
acknowledged write is present.

Example
-------
>>> r = WriterResult("sqlite", 8, 60.0, 1500, 1500, 0, 0)
>>> r.acknowledged, r.writes_per_s
(3000, 50.0)

``run_writers("sqlite:///tmp/r.db", processes=8, seconds=5)`` starts real processes (see
``tests/records/test_concurrency.py``).
"""

from __future__ import annotations

import json
import multiprocessing
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hpatwin.errors import HpatwinError
from hpatwin.records import models
from hpatwin.records.entries import AssessmentEntry, PatientEntry, SessionEntry
from hpatwin.records.store import RecordStore

__all__ = ["SHARED_PATIENTS", "WriterResult", "race_stale_edits", "run_writers", "writer_process"]

SHARED_PATIENTS = ("shared-0", "shared-1")
_BASE = datetime(2015, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class WriterResult:
    """Counts from one run: acknowledged writes, refused ones, and acknowledged-but-missing."""

    backend: str
    processes: int
    seconds: float
    acknowledged_assessments: int
    acknowledged_sessions: int
    refused: int
    missing: int

    @property
    def acknowledged(self) -> int:
        """All acknowledged writes.

        Example
        -------
        >>> WriterResult("sqlite", 2, 1.0, 3, 4, 0, 0).acknowledged
        7
        """
        return self.acknowledged_assessments + self.acknowledged_sessions

    @property
    def writes_per_s(self) -> float:
        """Acknowledged writes per second (all processes together).

        Example
        -------
        >>> WriterResult("sqlite", 2, 2.0, 3, 5, 0, 0).writes_per_s
        4.0
        """
        return self.acknowledged / self.seconds


def _slot(writer: int, step: int, processes: int) -> datetime:
    # one minute per (step, writer): 1-minute sessions never overlap, keys never collide
    return _BASE + timedelta(minutes=step * processes + writer)


def writer_process(
    url: str, writer: int, processes: int, seconds: float, out: str, start: Any = None
) -> None:
    """One writer: alternate assessments and sessions until ``seconds`` pass; log acknowledgements.

    ``start`` is a barrier all writers wait on, so they write at the same time.

    Example
    -------
    >>> callable(writer_process)  # runs in a spawned process; see run_writers
    True
    """
    store = RecordStore(url)
    store.patients()  # connect and check the schema before the clock starts
    if start is not None:
        start.wait()
    acknowledged: list[list[str]] = []
    refused = 0
    deadline = time.monotonic() + seconds
    step = 0
    while time.monotonic() < deadline:
        when = _slot(writer, step, processes)
        patient = SHARED_PATIENTS[step % 2]
        try:
            if step % 2 == 0:
                items = (*((step + k) % 4 for k in range(8)), 0)
                store.add_assessment(
                    patient, AssessmentEntry("phq9", when, items), actor=f"w{writer}"
                )
                acknowledged.append(["assessment", patient, when.isoformat()])
            else:
                store.add_session(
                    patient, SessionEntry(when, 1, "manual", ("LI4",)), actor=f"w{writer}"
                )
                acknowledged.append(["session", patient, when.isoformat()])
        except HpatwinError:
            refused += 1
        step += 1
    store.close()
    Path(out).write_text(json.dumps({"acknowledged": acknowledged, "refused": refused}))


def _present(store: RecordStore) -> set[tuple[str, str, str]]:
    with store.reading() as s:
        pseudonyms = dict(s.execute(select(models.Patient.id, models.Patient.pseudonym)).all())
        found = {
            ("assessment", pseudonyms[p], t.replace(tzinfo=UTC).isoformat())
            for p, t in s.execute(
                select(models.Assessment.patient_id, models.Assessment.administered_at)
            ).all()
        }
        found |= {
            ("session", pseudonyms[p], t.replace(tzinfo=UTC).isoformat())
            for p, t in s.execute(
                select(models.Session.patient_id, models.Session.started_at)
            ).all()
        }
    return found


def run_writers(url: str, processes: int = 8, seconds: float = 5.0) -> WriterResult:
    """Start ``processes`` writers for ``seconds`` on a fresh store at ``url``; check every write.

    Example
    -------
    >>> run_writers.__defaults__  # 8 processes x 5 s by default (tests/records/test_concurrency.py)
    (8, 5.0)
    """
    store = RecordStore(url)
    store.init()
    for pseudonym in SHARED_PATIENTS:
        store.add_patient(PatientEntry(pseudonym), actor="setup")
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="hpatwin-writers-") as folder:
        outs = [str(Path(folder) / f"w{i}.json") for i in range(processes)]
        barrier = context.Barrier(processes)
        workers = [
            context.Process(
                target=writer_process, args=(url, i, processes, seconds, outs[i], barrier)
            )
            for i in range(processes)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        if any(w.exitcode != 0 for w in workers):
            raise RuntimeError(f"writer exit codes {[w.exitcode for w in workers]}")
        logs = [json.loads(Path(o).read_text()) for o in outs]
    acknowledged = {tuple(a) for log in logs for a in log["acknowledged"]}
    missing = acknowledged - _present(store)
    backend = store.backend
    store.close()
    return WriterResult(
        backend=backend,
        processes=processes,
        seconds=seconds,
        acknowledged_assessments=sum(1 for a in acknowledged if a[0] == "assessment"),
        acknowledged_sessions=sum(1 for a in acknowledged if a[0] == "session"),
        refused=sum(log["refused"] for log in logs),
        missing=len(missing),
    )


def _stale_editor(url: str, birth_year: int, start: Any, out: str) -> None:
    store = RecordStore(url)
    version = store.load(SHARED_PATIENTS[0]).patient.version  # both read the same version
    start.wait()
    try:
        store.update_patient(SHARED_PATIENTS[0], version, birth_year=birth_year, actor="editor")
        outcome = "saved"
    except HpatwinError as exc:
        outcome = type(exc).__name__
    store.close()
    Path(out).write_text(outcome)


def race_stale_edits(url: str, editors: int = 2) -> list[str]:
    """``editors`` processes read the same patient version, then all update it at once.

    Returns each editor's outcome: exactly one ``saved``, the others ``ConflictError``.

    Example
    -------
    >>> race_stale_edits.__defaults__
    (2,)
    """
    store = RecordStore(url)
    store.init()
    store.add_patient(PatientEntry(SHARED_PATIENTS[0]), actor="setup")
    store.close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(editors)
    with tempfile.TemporaryDirectory(prefix="hpatwin-editors-") as folder:
        outs = [str(Path(folder) / f"e{i}.txt") for i in range(editors)]
        workers = [
            context.Process(target=_stale_editor, args=(url, 1950 + i, barrier, outs[i]))
            for i in range(editors)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return sorted(Path(o).read_text() for o in outs)
