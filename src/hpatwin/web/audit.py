"""An append-only audit log with a hash chain: who did what to which record, when.

Each row stores ``hash = sha256(prev_hash + canonical JSON of the row)``; the first row's
``prev_hash`` is 64 zeros. ``prev_hash`` is unique, so two writers can never fork the chain
(the second gets an integrity error and its transaction rolls back). Editing, deleting or
reordering any row breaks the chain, which :func:`verify_audit_chain` detects.

Rows name the actor (a username), the action (``patient.read``, ``assessment.add`` ...) and
the target (a patient pseudonym and record id); ``detail`` holds codes and counts, never
free text or values entered by a clinician.

Example
-------
>>> from datetime import datetime
>>> row = {"at": datetime(2024, 1, 1), "actor": "a", "action": "x", "target": "t", "detail": ""}
>>> len(chain_hash(GENESIS, row))
64
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.orm import Session

from hpatwin.web.tables import audit_log

__all__ = ["GENESIS", "AuditEntry", "ChainReport", "append", "chain_hash", "verify_audit_chain"]

GENESIS = "0" * 64


def _canonical(row: dict[str, Any]) -> str:
    at = row["at"]
    stamp = at.isoformat() if isinstance(at, datetime) else str(at)
    fields = [stamp, row["actor"], row["action"], row["target"], row["detail"]]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """``sha256(prev_hash + canonical row)`` as hex."""
    return hashlib.sha256((prev_hash + _canonical(row)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """One audit row as read back."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str
    hash: str


def append(
    session: Session, *, at: datetime, actor: str, action: str, target: str = "", detail: str = ""
) -> str:
    """Append one row inside the caller's (write) transaction; returns its hash."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":  # serialise appends (SQLite: BEGIN IMMEDIATE)
        connection.execute(text("SELECT pg_advisory_xact_lock(7368201)"))
    last = connection.execute(
        select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
    ).scalar()
    prev = last or GENESIS
    row = {
        "at": at.replace(tzinfo=None, microsecond=0),
        "actor": actor[:64],
        "action": action[:64],
        "target": target[:200],
        "detail": detail,
    }
    digest = chain_hash(prev, row)
    connection.execute(insert(audit_log).values(**row, prev_hash=prev, hash=digest))
    return digest


@dataclass(frozen=True)
class ChainReport:
    """Result of :func:`verify_audit_chain`: rows checked, the first broken row id, the head hash.

    The chain shows edits, deletions and reordering inside the log; cutting rows off its end is
    only visible against a head hash kept elsewhere (``head`` is shown on the admin's audit page).
    """

    rows: int
    first_broken_id: int | None
    head: str = GENESIS

    @property
    def ok(self) -> bool:
        """Whether the whole chain verified."""
        return self.first_broken_id is None


def verify_audit_chain(connection: Connection) -> ChainReport:
    """Recompute every hash in id order; report the first row that does not verify."""
    prev = GENESIS
    count = 0
    for row in connection.execute(select(audit_log).order_by(audit_log.c.id)).mappings():
        count += 1
        if row["prev_hash"] != prev or chain_hash(prev, dict(row)) != row["hash"]:
            return ChainReport(count, int(row["id"]), prev)
        prev = row["hash"]
    return ChainReport(count, None, prev)


def read_entries(connection: Connection, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    """The newest audit rows first."""
    rows = connection.execute(
        select(audit_log).order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
    ).mappings()
    return [
        AuditEntry(
            int(r["id"]), r["at"], r["actor"], r["action"], r["target"], r["detail"], r["hash"]
        )
        for r in rows
    ]
