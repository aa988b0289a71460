"""What a sync step needs: the store, the blob store, the org policy and a way to build providers."""

from __future__ import annotations

from dataclasses import dataclass

from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.providers.base import ExportPlan, Provider
from connectors_pipeline.providers.registry import provider_info
from connectors_pipeline.store import Store
from connectors_pipeline.store.blobs import BlobStore


@dataclass
class SyncServices:
    store: Store
    blobs: BlobStore
    policy: OrgPolicy
    fetch_workers: int = 8

    def provider(self, partition_key: str) -> Provider:
        """A provider for the account, persisting refreshed tokens back to the store (encrypted)."""
        account = self.store.get_account(partition_key)
        client, tokens = self.store.load_credentials(partition_key)
        spec = provider_info(account.provider)
        return spec.factory(client, tokens, lambda fresh: self.store.update_tokens(partition_key, fresh))

    def export_plan(self, provider_name: str) -> ExportPlan:
        return provider_info(provider_name).default_export_plan.restricted_to(self.policy.allowed_export_formats)
