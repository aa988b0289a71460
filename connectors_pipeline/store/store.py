"""The `Store` facade: one object over every table group, opened (and migrated) from a URL."""

from __future__ import annotations

from connectors_pipeline.store.accounts import AccountsMixin
from connectors_pipeline.store.activity import ActivityMixin
from connectors_pipeline.store.breakers import BreakersMixin
from connectors_pipeline.store.cipher import KeyRing
from connectors_pipeline.store.database import create_engine, migrate
from connectors_pipeline.store.integrity import IntegrityMixin
from connectors_pipeline.store.items import ItemsMixin
from connectors_pipeline.store.leases import LeasesMixin
from connectors_pipeline.store.search import SearchMixin
from connectors_pipeline.store.vault import VaultMixin


class Store(
    AccountsMixin, ItemsMixin, VaultMixin, SearchMixin, ActivityMixin, IntegrityMixin, LeasesMixin, BreakersMixin
):
    """Connector state and the vault on SQLite or PostgreSQL; every method is its own transaction."""

    @classmethod
    def open(cls, url: str, keyring: KeyRing | None) -> Store:
        """Connect and bring the schema to the latest migration (safe from many processes at once).

        `keyring` may be None: everything works except storing or reading credentials.
        """
        engine = create_engine(url)
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, keyring)

    def dispose(self) -> None:
        """Close pooled connections (call when done, and in a forked child before first use)."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()

    def __repr__(self) -> str:
        # The URL may carry a database password: never print it.
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"
