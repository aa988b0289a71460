"""For incremental sync: item ownership, sync leases, and an index to page through an account's documents.

- connector_items.owned_by_account: a shared item that vanishes from the change feed is recorded as
  lost access, an owned one as deleted.
- connector_accounts.sync_lease_holder/_expires_at: one run at a time syncs an account.
- ix_vault_documents_account_id_id: without it, paging an account's documents by id sorted the
  whole account for every page (quadratic at 100,000 documents).

Revision ID: 0002_incremental_sync
Revises: 0001_initial
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_incremental_sync"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connector_items") as batch:
        batch.add_column(sa.Column("owned_by_account", sa.Boolean, nullable=False, server_default=sa.true()))
    with op.batch_alter_table("connector_accounts") as batch:
        batch.add_column(sa.Column("sync_lease_holder", sa.String(100)))
        batch.add_column(sa.Column("sync_lease_expires_at", sa.DateTime(timezone=True)))
    op.create_index("ix_vault_documents_account_id_id", "vault_documents", ["account_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_vault_documents_account_id_id", table_name="vault_documents")
    with op.batch_alter_table("connector_accounts") as batch:
        batch.drop_column("sync_lease_expires_at")
        batch.drop_column("sync_lease_holder")
    with op.batch_alter_table("connector_items") as batch:
        batch.drop_column("owned_by_account")
