"""Fenced cursor commits: a staged cursor names the run that staged it, a committed one the run that committed it.

- connector_cursors.staged_by: the run (a Dagster root run id) whose listing took the staged cursor;
  only that run may commit it, and only while it holds the account's sync lease.
- connector_cursors.committed_by: the run that committed the current cursor (for people and audits).

Revision ID: 0004_cursor_fencing
Revises: 0003_circuit_breakers
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_cursor_fencing"
down_revision: str | None = "0003_circuit_breakers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connector_cursors") as batch:
        batch.add_column(sa.Column("staged_by", sa.String(100)))
        batch.add_column(sa.Column("committed_by", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("connector_cursors") as batch:
        batch.drop_column("committed_by")
        batch.drop_column("staged_by")
