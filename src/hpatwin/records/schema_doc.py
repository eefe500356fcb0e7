"""Generate ``docs/records-schema.md`` from the SQLAlchemy models (a test fails when it is stale).

Example
-------
>>> text = schema_markdown()
>>> text.startswith("# Records schema") and "| pseudonym |" in text
True
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Column, Table, UniqueConstraint

from hpatwin.io.atomic import atomic_write_text
from hpatwin.records.migrations import HEAD
from hpatwin.records.models import Base

__all__ = ["schema_markdown", "write_schema_doc"]

_HEADER = """# Records schema

Generated from `hpatwin.records.models` by `hpatwin.records.schema_doc.write_schema_doc`
(do not edit by hand; `tests/records/test_schema_doc.py` fails when this file is stale).
Migrations: `src/hpatwin/records/migrations/versions/`, newest revision `{head}`.

Conventions: times are naive UTC; lists and nested values are JSON; every table except
`revisions` carries `version` (optimistic locking), `created_at/by`, `updated_at/by` and
soft-deletion columns (`deleted_at/by`, `deletion_reason`), and each insert, update or
soft delete writes a `revisions` row in the same transaction.
"""


def _column_row(column: Column[object]) -> str:
    notes = []
    if column.primary_key:
        notes.append("primary key")
    notes += [f"→ {fk.target_fullname}" for fk in column.foreign_keys]
    if column.index:
        notes.append("indexed")
    null = "yes" if column.nullable else "no"
    return f"| {column.name} | {column.type} | {null} | {', '.join(notes)} |"


def _table_section(table: Table) -> list[str]:
    mapper = next(m for m in Base.registry.mappers if m.local_table is table)
    doc = (mapper.class_.__doc__ or "").strip().splitlines()[0]
    lines = [
        f"## `{table.name}`",
        "",
        doc,
        "",
        "| column | type | nullable | notes |",
        "|---|---|---|---|",
    ]
    lines += [_column_row(c) for c in table.columns]
    unique = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    for constraint in unique:
        lines.append("")
        lines.append(f"Unique (natural key): {', '.join(c.name for c in constraint.columns)}")
    lines.append("")
    return lines


def schema_markdown() -> str:
    """The schema document as Markdown (tables sorted by name).

    Example
    -------
    >>> "## `revisions`" in schema_markdown()
    True
    """
    lines = [_HEADER.format(head=HEAD)]
    for name in sorted(Base.metadata.tables):
        lines += _table_section(Base.metadata.tables[name])
    return "\n".join(lines).rstrip() + "\n"


def write_schema_doc(path: str | os.PathLike[str]) -> bool:
    """Write the document if it changed; returns whether the file was written.

    Example
    -------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "schema.md"
    >>> write_schema_doc(path), write_schema_doc(path)
    (True, False)
    """
    target = Path(path)
    text = schema_markdown()
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    atomic_write_text(target, text, overwrite=True)
    return True
