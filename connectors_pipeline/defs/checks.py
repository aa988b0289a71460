"""Asset checks, one result per account: blocking guards of the vault (nothing twice, nothing the org policy
forbids) and reports of how complete (coverage) and how recent (freshness) each account's vault is."""

from collections import Counter
from collections.abc import Callable, Mapping

import dagster as dg

# Dagster 1.13 has no public name for a check result's pointer to the materialization it judged.
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from connectors_pipeline.defs.freshness import FRESHNESS, freshness_results, summarize_freshness
from connectors_pipeline.defs.resources import ConnectorsResource
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.store import Store
from connectors_pipeline.sync.services import SyncServices

SAMPLE = 10  # ids shown in metadata; ids, never names or text
UNCOVERED_SAMPLE = 20
FAILED_SAMPLE = 100  # failing partition keys named in a multi-account run's summary
Stored = tuple[str, str, str | None, int | None]  # external id, MIME type, content MIME type, size
Results = dict[str, dg.AssetCheckResult]  # by partition key
Evaluate = Callable[[SyncServices, list[str]], Results]

# What each status of an item without a live document means, for the coverage result's description.
UNCOVERED_MEANING = {
    "pending": "listed, not fetched yet",
    "fetched": "fetched, not ingested yet",
    "error": "fetch or ingest failed; the next sync retries it",
    "synced": "marked synced but its document is gone: removed outside the pipeline",
}


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
        for item in store.load_items(partition_key, statuses=("fetched",)).values()
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


def coverage_result(store: Store, partition_key: str) -> dg.AssetCheckResult:
    coverage = store.find_coverage(partition_key, sample=UNCOVERED_SAMPLE)
    uncovered = coverage.uncovered_by_status
    metadata: dict[str, object] = {
        "allowed_items": coverage.allowed_items,
        "live_documents": coverage.live_documents,
        "uncovered_items": coverage.uncovered,
        "uncovered_by_status": dg.MetadataValue.json(uncovered),
        "uncovered_item_ids": dg.MetadataValue.json(list(coverage.uncovered_sample)),
        "allowed_items_by_status": dg.MetadataValue.json(coverage.allowed_by_status),
        "live_documents_without_allowed_item": coverage.documents_without_allowed_item,
    }
    if coverage.documents_without_allowed_item:
        metadata["note"] = (
            "Live documents whose item is skipped, deleted or missing are not counted against coverage: "
            "no_duplicates fails on them (documents_without_synced_item)."
        )
    meanings = [f"{n} {status} ({UNCOVERED_MEANING.get(status, status)})" for status, n in uncovered.items()]
    return dg.AssetCheckResult(
        passed=not uncovered,
        description=f"Allowed items without a live vault document: {'; '.join(meanings)}" if uncovered else None,
        metadata=metadata,
    )


def summed_counts(results: Mapping[str, dg.AssetCheckResult]) -> dict[str, object]:
    """Integer metadata summed over accounts, and dicts of integers summed key by key."""
    ints: Counter[str] = Counter()
    dicts: dict[str, Counter[str]] = {}
    for result in results.values():
        for name, value in result.metadata.items():
            if isinstance(value, dg.IntMetadataValue) and value.value is not None:
                ints[name] += value.value
            elif isinstance(value, dg.JsonMetadataValue) and isinstance(value.value, dict):
                dicts.setdefault(name, Counter()).update(value.value)
    return {**ints, **{name: dg.MetadataValue.json(dict(counts)) for name, counts in dicts.items()}}


def _latest_materialization(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, partition_key: str
) -> AssetCheckEvaluationTargetMaterializationData | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=[partition_key]), limit=1
    ).records
    if not records:
        return None
    return AssetCheckEvaluationTargetMaterializationData(
        storage_id=records[0].storage_id, run_id=records[0].run_id, timestamp=records[0].timestamp
    )


def one_result_per_account(
    context: dg.AssetCheckExecutionContext,
    check_key: dg.AssetCheckKey,
    blocking: bool,
    results: Results,
    summarize: Callable[[Results], dict[str, object]],
) -> dg.AssetCheckResult:
    """The result of a run of one account, or the summary of a run of a range of accounts.

    Dagster 1.13 records a range step's result without a partition, which would leave every account
    of the range `skipped` in the UI. So each account's result is logged as its own evaluation,
    aimed at that partition's latest materialization (otherwise the UI counts it as out of date),
    and the step returns a summary: what a blocking check blocks on, and what the run page shows.
    """
    if context.has_partition_key:
        return results[context.partition_key]
    for key, result in results.items():
        context.op_execution_context.log_event(
            dg.AssetCheckEvaluation(
                asset_key=check_key.asset_key,
                check_name=check_key.name,
                passed=result.passed,
                metadata=result.metadata,
                target_materialization_data=_latest_materialization(context.instance, check_key.asset_key, key),
                severity=result.severity,
                description=result.description,
                blocking=blocking,
                partition=key,
            )
        )
    failed = sorted(key for key, result in results.items() if not result.passed)
    return dg.AssetCheckResult(
        passed=not failed,
        description=f"{len(failed)} of {len(results)} account(s) failed; each account has its own result",
        metadata={
            "accounts_checked": len(results),
            "accounts_failed": len(failed),
            "failed_accounts": dg.MetadataValue.json(failed[:FAILED_SAMPLE]),
            **summarize(results),
        },
    )


def build_checks(
    accounts: dg.DynamicPartitionsDefinition, exported_key: dg.AssetKey, vault_key: dg.AssetKey
) -> list[dg.AssetChecksDefinition]:
    def account_check(
        asset_key: dg.AssetKey,
        name: str,
        description: str,
        evaluate: Evaluate,
        *,
        blocking: bool,
        summarize: Callable[[Results], dict[str, object]] = summed_counts,
    ) -> dg.AssetChecksDefinition:
        check_key = dg.AssetCheckKey(asset_key, name)

        @dg.asset_check(asset=asset_key, name=name, blocking=blocking, partitions_def=accounts, description=description)
        def check(context: dg.AssetCheckExecutionContext, connectors: ConnectorsResource) -> dg.AssetCheckResult:
            results = evaluate(connectors.services(), list(context.partition_keys))
            return one_result_per_account(context, check_key, blocking, results, summarize)

        return check

    def per_account(result: Callable[[SyncServices, str], dg.AssetCheckResult]) -> Evaluate:
        return lambda services, keys: {key: result(services, key) for key in keys}

    def dedup_result(services: SyncServices, key: str) -> dg.AssetCheckResult:
        counts = {kind: len(rows) for kind, rows in dedup_problems(services.store, key).items()}
        return dg.AssetCheckResult(passed=not any(counts.values()), metadata=counts)

    def policy_result(stored: Callable[[Store, str], list[Stored]]) -> Evaluate:
        def result(services: SyncServices, key: str) -> dg.AssetCheckResult:
            bad = policy_violations(services.policy, stored(services.store, key))
            return dg.AssetCheckResult(
                passed=not bad,
                metadata={"violations": len(bad), "item_ids": dg.MetadataValue.json(bad[:SAMPLE])},
            )

        return per_account(result)

    return [
        account_check(
            vault_key,
            "no_duplicates",
            "One live vault document per item; no version re-ingested unchanged.",
            per_account(dedup_result),
            blocking=True,
        ),
        account_check(
            vault_key,
            "policy_compliant",
            "Nothing in the vault that ORG_CONNECTORS_* forbids.",
            policy_result(vault_stored),
            blocking=True,
        ),
        account_check(
            exported_key,
            "fetched_content_allowed",
            "Nothing fetched that ORG_CONNECTORS_* policy forbids; blocks ingest.",
            policy_result(fetched_stored),
            blocking=True,
        ),
        # Not blocking: nothing is downstream of vault_items to protect, and an item whose fetch failed
        # (retried on the next sync) would otherwise turn every such run red. It fails, and says why.
        account_check(
            vault_key,
            "coverage",
            "Every item that exists upstream and is allowed (not skipped or deleted) has a live vault document.",
            per_account(lambda services, key: coverage_result(services.store, key)),
            blocking=False,
        ),
        # Also evaluated hourly on its own (see freshness.py): after a sync it passes by construction.
        account_check(
            vault_key,
            FRESHNESS,
            "The account's last successful sync is within $CONNECTORS_FRESHNESS_HOURS (default 24) hours.",
            lambda services, keys: freshness_results(services.store, keys),
            blocking=False,
            summarize=summarize_freshness,
        ),
    ]
