"""Web app settings (the researchers' HMAC key, so research ids stay stable across restarts).

Revision ID: w0002_web_settings
Revises: w0001_web_tables
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "w0002_web_settings"
down_revision: str | None = "w0001_web_tables"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "web_settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("web_settings")
