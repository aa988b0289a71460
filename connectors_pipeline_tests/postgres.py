"""Throw-away PostgreSQL databases for tests: one fresh database per test, dropped afterwards.

The server comes from CONNECTORS_TEST_POSTGRES_URL (default: the local trust-auth server). When it
does not answer, tests are skipped locally but FAIL when the CI environment variable is set, so a
broken PostgreSQL setup can never turn the PostgreSQL half of the suite into silent skips.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def admin_url() -> sa.URL:
    """The maintenance database used to CREATE / DROP the per-test databases."""
    return sa.make_url(os.environ.get("CONNECTORS_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)


def _admin_engine() -> sa.Engine:
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    return sa.create_engine(admin_url(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def require_postgres() -> None:
    """Skip (locally) or fail (CI) the calling test when the server does not answer."""
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        message = f"PostgreSQL at {admin_url().render_as_string(hide_password=True)} is unreachable: {exc.orig}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this fails instead of skipping)")
        pytest.skip(message)
    finally:
        engine.dispose()


@contextmanager
def temporary_postgres_database(prefix: str = "connectors_test") -> Iterator[str]:
    """Create `<prefix>_<random hex>`, yield its URL (password included), drop it afterwards."""
    require_postgres()
    name = f"{prefix}_{secrets.token_hex(6)}"
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url().set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                # FORCE (PostgreSQL 13+): a connection a test forgot to close must not leak the database.
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()
