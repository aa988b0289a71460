"""Blocking asset checks that guard the vault: nothing twice, nothing the org policy forbids."""

import os

import dagster as dg

from connectors_pipeline.defs.resources import ConnectorsResource
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.store import Store

SAMPLE = 10  # ids shown in metadata; ids, never names or text


def dedup_problems(store: Store, partition_key: str) -> dict[str, list]:
    return {
        "repeated_versions": store.find_repeated_versions(partition_key),
        "items_sharing_a_document": store.find_items_sharing_a_document(partition_key),
        "documents_without_synced_item": store.find_orphan_documents(partition_key),
    }


def policy_violations(store: Store, policy: OrgPolicy, partition_key: str) -> list[int]:
    """Live vault documents the current policy would not admit (e.g. after the policy tightened)."""
    return [
        doc.id
        for doc in store.iter_live_documents(partition_key)
        if policy.stored_violation(doc.mime_type, doc.content_mime, doc.size_bytes) is not None
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
        found = {key: dedup_problems(store, key) for key in context.partition_keys}
        counts = {kind: sum(len(p[kind]) for p in found.values()) for kind in next(iter(found.values()))}
        return dg.AssetCheckResult(
            passed=not any(counts.values()),
            metadata={**counts, "accounts_checked": len(found)},
        )

    @dg.asset_check(
        asset=vault_key,
        name="policy_compliant",
        blocking=True,
        partitions_def=accounts,
        description="Nothing in the vault that ORG_CONNECTORS_* policy forbids.",
    )
    def policy_compliant(context: dg.AssetCheckExecutionContext, connectors: ConnectorsResource):
        services = connectors.services()
        policy = OrgPolicy.from_env(os.environ)
        bad = [doc for key in context.partition_keys for doc in policy_violations(services.store, policy, key)]
        return dg.AssetCheckResult(
            passed=not bad,
            metadata={"violations": len(bad), "document_ids": dg.MetadataValue.json(bad[:SAMPLE])},
        )

    @dg.asset_check(
        asset=exported_key,
        name="fetched_content_allowed",
        blocking=True,
        partitions_def=accounts,
        description="Every fetched blob is of an allowed type and size; blocks ingest otherwise.",
    )
    def fetched_content_allowed(context: dg.AssetCheckExecutionContext, connectors: ConnectorsResource):
        services = connectors.services()
        policy = OrgPolicy.from_env(os.environ)
        bad = [
            item.external_id
            for key in context.partition_keys
            for item in services.store.load_items(key).values()
            if item.status == "fetched" and policy.stored_violation(item.mime_type, item.content_mime, item.size)
        ]
        return dg.AssetCheckResult(passed=not bad, metadata={"violations": len(bad)})

    return [no_duplicates, policy_compliant, fetched_content_allowed]
