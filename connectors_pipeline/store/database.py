"""Engines for SQLite and PostgreSQL, configured for many concurrent processes, and the migration runner."""

from __future__ import annotations

import sqlite3
import time
import zlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from connectors_pipeline.store.schema import VERSION_TABLE

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option read by the SQLite "begin" hook: writers take the write lock up front.
BEGIN_MODE_OPTION = "connectors_sqlite_begin"
# Any fixed 64-bit number, the same in every process, names the migration lock on PostgreSQL.
MIGRATION_LOCK_ID = zlib.crc32(b"connectors_pipeline.store.migrations")


def create_engine(url: str) -> sa.Engine:
    """An engine for `url`; SQLite gets WAL, a 30 s busy timeout, foreign keys and real transactions."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pre_ping: Dagster keeps resources across long runs; a server restart must not break them.
        return sa.create_engine(parsed, pool_pre_ping=True)

    database = parsed.database
    in_memory = not database or database == ":memory:" or "mode=memory" in str(parsed)
    kwargs: dict[str, Any] = {}
    if in_memory:
        # One shared connection, or each checkout would see its own empty database.
        kwargs.update(poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (it would BEGIN only before DML,
        # leaving a transaction's SELECTs outside it); the "begin" hook below emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            # WAL: readers never block the writer, and parallel Dagster runs share one file.
            _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # BEGIN IMMEDIATE for writers: a deferred transaction that reads and then writes can fail
        # with SQLITE_BUSY at once (no busy wait) when another process wrote in between.
        mode = conn.get_execution_options().get(BEGIN_MODE_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _enable_wal(cursor: Any, attempts: int = 50) -> None:
    """Switching to WAL needs a moment of exclusive access, and SQLite does not always wait for it
    through the busy timeout: several processes opening a new database at once can see "locked"."""
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def writer(engine: sa.Engine) -> sa.Engine:
    """The same engine, but its transactions take SQLite's write lock at BEGIN."""
    return engine.execution_options(**{BEGIN_MODE_OPTION: "IMMEDIATE"})


def alembic_config() -> Config:
    cfg = Config()
    # ConfigParser interpolates '%', which may appear in an install path.
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return cfg


def migrate(engine: sa.Engine) -> None:
    """Upgrade the schema to head; cheap when already there, serialised across processes."""
    cfg = alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_heads()
    if tuple(current) == (head,):
        return
    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            # Held until this transaction ends; a second process waits, then finds the schema at head.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:lock_id)"), {"lock_id": MIGRATION_LOCK_ID})
        # (SQLite: BEGIN IMMEDIATE above already made this the only writer.)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
