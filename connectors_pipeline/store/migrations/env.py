"""Alembic environment: runs on the connection the store hands over in `config.attributes["connection"]`.

The store opens the transaction (and, on PostgreSQL, takes an advisory lock) before calling Alembic,
so two processes opening the same database at once migrate it exactly once. A URL in the main
option `sqlalchemy.url` is the fallback for running Alembic by hand.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from connectors_pipeline.store.schema import VERSION_TABLE, include_in_autogenerate, metadata

config = context.config


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most things; batch mode rebuilds tables for future migrations.
        render_as_batch=True,
        compare_type=True,
        include_object=include_in_autogenerate,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        # When the caller already opened a transaction, Alembic joins it instead of committing.
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("pass a connection in config.attributes['connection'] or set sqlalchemy.url")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
