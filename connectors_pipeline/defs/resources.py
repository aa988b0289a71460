"""The one resource connector assets need: store, blob store and org policy from the environment."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import PrivateAttr

from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.domain.quotas import SyncQuotas
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import Store
from connectors_pipeline.store.blob_urls import open_blob_store
from connectors_pipeline.store.cipher import resolve_keyring
from connectors_pipeline.sync.services import SyncServices


class ConnectorsResource(dg.ConfigurableResource):
    """Reads CONNECTORS_* and ORG_CONNECTORS_* when a run starts, so policy changes apply to new runs.

    Keys and database credentials stay in the environment and never appear in the UI's config view.
    """

    fetch_workers: int | None = None  # default: $CONNECTORS_FETCH_WORKERS or 8

    _services: SyncServices | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._services = self.open_services()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._services is not None:
            self._services.store.dispose()
            self._services = None

    def open_services(self) -> SyncServices:
        settings = Settings.from_env()
        store = Store.open(settings.database_url, resolve_keyring(settings, allow_demo_key=False))
        return SyncServices(
            store=store,
            blobs=open_blob_store(settings),
            policy=OrgPolicy.from_env(os.environ),
            quotas=SyncQuotas.from_env(os.environ),
            fetch_workers=self.fetch_workers or int(os.environ.get("CONNECTORS_FETCH_WORKERS", "8")),
        )

    def services(self) -> SyncServices:
        if self._services is None:
            self._services = self.open_services()
        return self._services
