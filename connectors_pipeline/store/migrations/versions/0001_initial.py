"""Initial schema: accounts, sources, items, cursors, jobs, activity, vault documents and versions, search.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01

Written out in full rather than derived from schema.py, so later edits to the Python table objects
can never silently change what this revision creates.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")
TS = sa.DateTime(timezone=True)

# Two deliberate departures from a bare to_tsvector(title || path || text):
# - PostgreSQL's parser keeps "/Projects/q3-report.pdf" or "user@example.com" as single file/host
#   tokens, so "projects" or "report" would never match; translate() splits them into words the way
#   SQLite's unicode61 tokenizer does, so both dialects find the same documents.
# - to_tsvector fails above 1 MB of tsvector ("string is too long for tsvector"), which a big CSV or
#   PDF reaches; indexing the first 500,000 characters of the text keeps every insert working.
PG_SEARCH_VECTOR = (
    "to_tsvector('simple', translate(coalesce(title, '') || ' ' || coalesce(path, '') || ' ' "
    "|| left(coalesce(text, ''), 500000), '/._@:', '     '))"
)

SQLITE_FTS = [
    # External-content FTS5 table: the text lives once, in vault_documents; triggers keep the index.
    "CREATE VIRTUAL TABLE vault_documents_fts USING fts5("
    "title, path, text, content='vault_documents', content_rowid='id')",
    "CREATE TRIGGER vault_documents_fts_ai AFTER INSERT ON vault_documents BEGIN "
    "INSERT INTO vault_documents_fts(rowid, title, path, text) "
    "VALUES (new.id, new.title, new.path, new.text); END",
    "CREATE TRIGGER vault_documents_fts_ad AFTER DELETE ON vault_documents BEGIN "
    "INSERT INTO vault_documents_fts(vault_documents_fts, rowid, title, path, text) "
    "VALUES ('delete', old.id, old.title, old.path, old.text); END",
    "CREATE TRIGGER vault_documents_fts_au AFTER UPDATE OF title, path, text ON vault_documents BEGIN "
    "INSERT INTO vault_documents_fts(vault_documents_fts, rowid, title, path, text) "
    "VALUES ('delete', old.id, old.title, old.path, old.text); "
    "INSERT INTO vault_documents_fts(rowid, title, path, text) "
    "VALUES (new.id, new.title, new.path, new.text); END",
]


def _id() -> sa.Column:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


def _account_fk(ondelete: str, nullable: bool = False) -> sa.Column:
    return sa.Column("account_id", ID, sa.ForeignKey("connector_accounts.id", ondelete=ondelete), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "connector_accounts",
        _id(),
        sa.Column("tenant_id", sa.String(200), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("external_account_id", sa.String(500), nullable=False),
        sa.Column("partition_key", sa.String(100), nullable=False),
        sa.Column("email", sa.String(500)),
        sa.Column("display_name", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("credentials_ciphertext", sa.Text),
        sa.Column("key_id", sa.String(16)),
        sa.Column("last_sync_at", TS),
        sa.Column("last_error", sa.Text),
        sa.Column("metadata", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("partition_key", name="uq_connector_accounts_partition_key"),
        sa.UniqueConstraint("tenant_id", "provider", "external_account_id", name="uq_connector_accounts_identity"),
        sa.CheckConstraint(
            "status IN ('connected', 'error', 'revoked', 'disconnected')",
            name="ck_connector_accounts_status",
        ),
    )
    op.create_table(
        "connector_sources",
        _id(),
        _account_fk("CASCADE"),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("external_id", sa.String(500), nullable=False),
        sa.Column("name", sa.String(1000), nullable=False),
        sa.Column("recursive", sa.Boolean, nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("account_id", "kind", "external_id", name="uq_connector_sources_identity"),
    )
    op.create_table(
        "vault_documents",
        _id(),
        _account_fk("CASCADE"),
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("external_id", sa.String(500), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("paths", JSON, nullable=False),
        sa.Column("mime_type", sa.String(255), nullable=False),
        sa.Column("content_mime", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("blob_sha256", sa.String(64)),
        sa.Column("provider_version", sa.String(255)),
        sa.Column("modified_time", TS),
        sa.Column("provenance", JSON, nullable=False),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("deleted_at", TS),
        sa.Column("deleted_reason", sa.String(50)),
        sa.UniqueConstraint("account_id", "external_id", name="uq_vault_documents_identity"),
    )
    op.create_table(
        "vault_document_versions",
        _id(),
        sa.Column("document_id", ID, sa.ForeignKey("vault_documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version_no", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("provider_version", sa.String(255)),
        sa.Column("provenance", JSON, nullable=False),
        sa.Column("blob_sha256", sa.String(64)),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("document_id", "version_no", name="uq_vault_document_versions_number"),
    )
    op.create_table(
        "connector_items",
        _id(),
        _account_fk("CASCADE"),
        sa.Column("external_id", sa.String(500), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("paths", JSON, nullable=False),
        sa.Column("mime_type", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger),
        sa.Column("modified_time", TS),
        sa.Column("version", sa.String(255)),
        sa.Column("md5", sa.String(64)),
        sa.Column("trashed", sa.Boolean, nullable=False),
        sa.Column("web_url", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("skip_reason", sa.String(50)),
        sa.Column("skip_detail", sa.Text),
        sa.Column("last_error", sa.Text),
        sa.Column("blob_sha256", sa.String(64)),
        sa.Column("content_mime", sa.String(255)),
        sa.Column("content_size", sa.BigInteger),
        sa.Column("provenance", JSON),
        sa.Column("fetched_version", sa.String(255)),
        sa.Column("synced_version", sa.String(255)),
        sa.Column(
            "vault_document_id",
            ID,
            sa.ForeignKey("vault_documents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("account_id", "external_id", name="uq_connector_items_identity"),
        sa.CheckConstraint(
            "status IN ('pending', 'fetched', 'synced', 'skipped', 'error', 'deleted')",
            name="ck_connector_items_status",
        ),
    )
    op.create_index("ix_connector_items_account_status", "connector_items", ["account_id", "status"])
    op.create_index("ix_connector_items_vault_document_id", "connector_items", ["vault_document_id"])
    op.create_table(
        "connector_cursors",
        _id(),
        _account_fk("CASCADE"),
        sa.Column("source_id", ID, sa.ForeignKey("connector_sources.id", ondelete="CASCADE"), nullable=True),
        sa.Column("value", sa.Text),
        sa.Column("staged_value", sa.Text),
        sa.Column("updated_at", TS, nullable=False),
    )
    # NULL is never equal to NULL in UNIQUE: one partial index per kind of cursor instead.
    not_null, is_null = sa.text("source_id IS NOT NULL"), sa.text("source_id IS NULL")
    op.create_index(
        "uq_connector_cursors_account_source",
        "connector_cursors",
        ["account_id", "source_id"],
        unique=True,
        sqlite_where=not_null,
        postgresql_where=not_null,
    )
    op.create_index(
        "uq_connector_cursors_account_default",
        "connector_cursors",
        ["account_id"],
        unique=True,
        sqlite_where=is_null,
        postgresql_where=is_null,
    )
    op.create_table(
        "connector_jobs",
        _id(),
        _account_fk("SET NULL", nullable=True),
        sa.Column("dagster_run_id", sa.String(64)),
        sa.Column("job_type", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
    )
    op.create_index("ix_connector_jobs_account_id", "connector_jobs", ["account_id"])
    op.create_index("ix_connector_jobs_dagster_run_id", "connector_jobs", ["dagster_run_id"])
    op.create_table(
        "activity_log",
        _id(),
        sa.Column("tenant_id", sa.String(200)),
        sa.Column("user_id", sa.String(200)),
        _account_fk("SET NULL", nullable=True),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("context", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_activity_log_account_id", "activity_log", ["account_id", "id"])

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE vault_documents ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({PG_SEARCH_VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_vault_documents_search_vector ON vault_documents USING gin (search_vector)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("vault_documents_fts_ai", "vault_documents_fts_ad", "vault_documents_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS vault_documents_fts")
    for table in (
        "activity_log",
        "connector_jobs",
        "connector_cursors",
        "connector_items",
        "vault_document_versions",
        "vault_documents",
        "connector_sources",
        "connector_accounts",
    ):
        op.drop_table(table)
