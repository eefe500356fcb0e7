"""Web app tables: server-side sessions, login throttle, hash-chained audit log, patient clinics.

Revision ID: w0001_web_tables
Revises: <base>
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w0001_web_tables"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
    )
    op.create_table(
        "login_throttle",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "patient_clinics",
        sa.Column("pseudonym", sa.String(64), primary_key=True),
        sa.Column("clinic", sa.String(128), nullable=False, index=True),
    )


def downgrade() -> None:
    """Revert this revision."""
    for table in ("patient_clinics", "audit_log", "login_throttle", "web_sessions"):
        op.drop_table(table)
