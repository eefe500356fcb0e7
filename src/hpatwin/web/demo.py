"""A de-identified demo clinic: users and a few patients with weeks of PHQ-9, NRS and sessions.

Everything is synthetic (pseudonyms ``demo-001`` ...); the demo password is printed by
``hpatwin serve --seed-demo`` and is meant for a laptop on localhost only.

Example
-------
>>> from hpatwin.records.store import RecordStore
>>> store = RecordStore("sqlite://"); _ = store.init()
>>> from hpatwin.web.app import init_database
>>> init_database(store)
>>> seed_demo(store).patients
4
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from hpatwin.records import models
from hpatwin.records.entries import (
    AdverseEvent,
    AssessmentEntry,
    CortisolEntry,
    PatientEntry,
    SessionEntry,
)
from hpatwin.records.store import RecordStore
from hpatwin.web import audit
from hpatwin.web.core import assign_clinic
from hpatwin.web.users import create_user

__all__ = ["DEMO_CLINIC", "DEMO_PASSWORD", "DemoSeed", "seed_demo"]

DEMO_CLINIC = "demo-clinic"
DEMO_PASSWORD = "demo-password-2024"
DEMO_USERS = (
    ("demo_clinician", "clinician", DEMO_CLINIC),
    ("demo_admin", "admin", None),
    ("demo_researcher", "researcher", None),
)
# (pseudonym, birth year, sex, baseline PHQ-9 item level, weekly improvement, baseline NRS)
_PATIENTS = (
    ("demo-001", 1968, "female", 2.2, 0.12, 7),
    ("demo-002", 1979, "male", 1.6, 0.02, 6),
    ("demo-003", 1985, "female", 2.6, 0.18, 8),
    ("demo-004", 1957, "female", 1.2, 0.08, 5),
)
WEEKS = 8


@dataclass(frozen=True)
class DemoSeed:
    """What :func:`seed_demo` created."""

    users: tuple[str, ...]
    patients: int
    created: bool


def _phq9(level: float, rng: random.Random, item9: int) -> tuple[int, ...]:
    items = [min(3, max(0, round(level + rng.uniform(-0.6, 0.6)))) for _ in range(8)]
    return (*items, item9)


def seed_demo(store: RecordStore, now: datetime | None = None) -> DemoSeed:
    """Create the demo users and patients (once; a second call changes nothing)."""
    moment = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    with store.reading() as db:
        done = db.scalars(
            select(models.Patient.id).where(models.Patient.pseudonym == _PATIENTS[0][0])
        ).first()
    users = tuple(u for u, _, _ in DEMO_USERS)
    if done is not None:
        return DemoSeed(users, len(_PATIENTS), created=False)
    for username, role, clinic in DEMO_USERS:
        create_user(store, username, role, clinic, DEMO_PASSWORD, actor="demo-seed")
    rng = random.Random(20240301)
    start = moment - timedelta(weeks=WEEKS, hours=moment.hour - 9)
    with store.writing("demo-seed") as w:
        for pseudonym, birth_year, sex, level, slope, nrs in _PATIENTS:
            w.add_patient(PatientEntry(pseudonym, birth_year=birth_year, sex=sex))
            assign_clinic(w.session, pseudonym, DEMO_CLINIC)
            for week in range(WEEKS):
                day = start + timedelta(weeks=week)
                current = max(0.0, level - slope * week * level)
                item9 = 1 if pseudonym == "demo-003" and week == WEEKS - 1 else 0
                w.add_assessment(pseudonym, AssessmentEntry(
                    "phq9", day, _phq9(current, rng, item9)))
                pain = max(0, round(nrs - slope * week * nrs + rng.uniform(-0.5, 0.5)))
                w.add_assessment(pseudonym, AssessmentEntry("nrs", day + timedelta(minutes=2),
                                                            (pain,)))
                events = (AdverseEvent("small haematoma", "mild"),) if week == 2 else ()
                w.add_session(pseudonym, SessionEntry(
                    day + timedelta(minutes=15), 30, "ea", points=("LI4", "LR3", "GV20", "PC6"),
                    electrode_pairs=(("LI4", "PC6"),), frequency_hz="2/100", intensity_ma=2.5,
                    adverse_events=events))
                if week in (0, WEEKS - 1):
                    morning = day.replace(hour=8, minute=0)
                    w.add_cortisol(pseudonym, CortisolEntry(
                        morning - timedelta(days=1), round(rng.uniform(8, 20), 1), "nmol/L",
                        "LC-MS/MS", "08:00"))
                    w.add_cortisol(pseudonym, CortisolEntry(
                        morning - timedelta(days=1) + timedelta(hours=15),
                        round(rng.uniform(1.0, 4.5), 1), "nmol/L", "LC-MS/MS", "23:00"))
        audit.append(w.session, at=moment, actor="demo-seed", action="demo.seed",
                     detail=f"patients={len(_PATIENTS)}")
    return DemoSeed(users, len(_PATIENTS), created=True)
