"""What a sync step needs: the store, the blob store, the org policy, the quotas and a way to build providers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.domain.quotas import SyncQuotas
from connectors_pipeline.providers.base import AttachmentRules, ExportPlan, Provider
from connectors_pipeline.providers.registry import provider_info
from connectors_pipeline.resilience import BreakerSettings, CallGuard, CircuitBreaker, RetrySettings, shared_limiter
from connectors_pipeline.store import Store
from connectors_pipeline.store.blobs import BlobStore


@dataclass
class SyncServices:
    store: Store
    blobs: BlobStore
    policy: OrgPolicy
    fetch_workers: int = 8
    quotas: SyncQuotas = SyncQuotas()  # no limits unless the resource reads them from the environment
    retry: RetrySettings = field(default_factory=RetrySettings.from_env)
    breaker: BreakerSettings = field(default_factory=BreakerSettings.from_env)
    _guards: dict[str, CallGuard] = field(default_factory=dict, repr=False)

    def provider(self, partition_key: str, *, retries: bool = True) -> Provider:
        """A provider for the account, persisting refreshed tokens back to the store (encrypted).
        `retries=False` for callers that come back soon anyway (the change sensor's polls)."""
        account = self.store.get_account(partition_key)
        client, tokens = self.store.load_credentials(partition_key)
        spec = provider_info(account.provider)
        guard = self.guard(partition_key, account.provider)
        if not retries:
            guard = CallGuard(self.retry.once(), limiter=guard.limiter, breaker=guard.breaker, stats=guard.stats)
        save = lambda fresh: self.store.update_tokens(partition_key, fresh)  # noqa: E731
        return spec.factory(client, tokens, save, guard, self.export_plan(account.provider))

    def guard(self, partition_key: str, provider_name: str) -> CallGuard:
        """The account's guard: one per services object, so a step's stats cover all its providers' calls."""
        if partition_key not in self._guards:
            self._guards[partition_key] = CallGuard(
                self.retry,
                limiter=shared_limiter(partition_key, provider_info(provider_name).request_rate()),
                breaker=CircuitBreaker(self.store, partition_key, self.breaker),
            )
        return self._guards[partition_key]

    def take_resilience_counts(self, partition_key: str) -> dict[str, float]:
        """What the account's guard did since the last take (retries, seconds waited, calls the breaker
        refused); the services object lives for a whole run, so each step takes its own share."""
        guard = self._guards.get(partition_key)
        return guard.stats.take() if guard is not None else {}

    def export_plan(self, provider_name: str) -> ExportPlan:
        """What the policy lets the sync fetch: export formats, how much of a message, which attachments."""
        policy = self.policy
        plan = provider_info(provider_name).default_export_plan.restricted_to(policy.allowed_export_formats)
        attachments = AttachmentRules(policy.allowed_file_types, policy.max_file_size_bytes)
        return replace(plan, message_content=policy.gmail_content, attachments=attachments)
