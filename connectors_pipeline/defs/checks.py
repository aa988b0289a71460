"""Blocking asset checks that guard the vault: nothing twice, nothing the org policy forbids."""

from collections import Counter
from collections.abc import Callable

import dagster as dg

from connectors_pipeline.defs.resources import ConnectorsResource
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.store import Store

SAMPLE = 10  # ids shown in metadata; ids, never names or text
Stored = tuple[str, str, str | None, int | None]  # external id, MIME type, content MIME type, size


def dedup_problems(store: Store, partition_key: str) -> dict[str, list]:
    return {
        "repeated_versions": store.find_repeated_versions(partition_key),
        "items_sharing_a_document": store.find_items_sharing_a_document(partition_key),
        "documents_without_synced_item": store.find_orphan_documents(partition_key),
    }


def fetched_stored(store: Store, partition_key: str) -> list[Stored]:
    """Items fetched into the blob store and waiting for ingest."""
    return [
        (item.external_id, item.mime_type, item.content_mime, item.content_size)
        for item in store.load_items(partition_key).values()
        if item.status == "fetched"
    ]


def vault_stored(store: Store, partition_key: str) -> list[Stored]:
    """Live vault documents."""
    return [
        (doc.external_id, doc.mime_type, doc.content_mime, doc.size_bytes)
        for doc in store.iter_live_documents(partition_key)
    ]


def policy_violations(policy: OrgPolicy, stored: list[Stored]) -> list[str]:
    """External ids of what the current policy would not admit (e.g. after it tightened)."""
    return [
        external_id
        for external_id, mime_type, content_mime, size in stored
        if policy.stored_violation(mime_type, content_mime, size) is not None
    ]


def build_checks(
    accounts: dg.DynamicPartitionsDefinition, exported_key: dg.AssetKey, vault_key: dg.AssetKey
) -> list[dg.AssetChecksDefinition]:
    @dg.asset_check(
        asset=vault_key,
        name="no_duplicates",
        blocking=True,
        partitions_def=accounts,
        description="One live vault document per item; no version re-ingested unchanged.",
    )
    def no_duplicates(context: dg.AssetCheckExecutionContext, connectors: ConnectorsResource):
        store = connectors.services().store
        counts: Counter[str] = Counter()
        for key in context.partition_keys:
            counts.update({kind: len(rows) for kind, rows in dedup_problems(store, key).items()})
        return dg.AssetCheckResult(
            passed=not any(counts.values()),
            metadata={**counts, "accounts_checked": len(context.partition_keys)},
        )

    def policy_check(
        asset_key: dg.AssetKey, name: str, description: str, stored: Callable[[Store, str], list[Stored]]
    ) -> dg.AssetChecksDefinition:
        @dg.asset_check(asset=asset_key, name=name, blocking=True, partitions_def=accounts, description=description)
        def check(context: dg.AssetCheckExecutionContext, connectors: ConnectorsResource) -> dg.AssetCheckResult:
            services = connectors.services()
            bad = [
                external_id
                for key in context.partition_keys
                for external_id in policy_violations(services.policy, stored(services.store, key))
            ]
            return dg.AssetCheckResult(
                passed=not bad,
                metadata={"violations": len(bad), "item_ids": dg.MetadataValue.json(bad[:SAMPLE])},
            )

        return check

    fetched_content_allowed = policy_check(
        exported_key,
        "fetched_content_allowed",
        "Nothing fetched that ORG_CONNECTORS_* policy forbids; blocks ingest.",
        fetched_stored,
    )
    policy_compliant = policy_check(
        vault_key, "policy_compliant", "Nothing in the vault that ORG_CONNECTORS_* forbids.", vault_stored
    )
    return [no_duplicates, policy_compliant, fetched_content_allowed]
