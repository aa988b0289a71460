"""Builds one provider's partitions, assets, checks, job and sensor; it knows nothing of any provider."""

import warnings

import dagster as dg

from connectors_pipeline.defs.account_steps import (
    fail_run_for_failed_accounts,
    for_each_account,
    lease_holder,
    requested_mode,
)
from connectors_pipeline.defs.batching import ACCOUNTS_PER_RUN
from connectors_pipeline.defs.change_sensor import build_changes_sensor
from connectors_pipeline.defs.checks import build_checks
from connectors_pipeline.defs.freshness import build_freshness_schedule
from connectors_pipeline.defs.listing_frames import ListingUpdate, listing_frame
from connectors_pipeline.defs.metadata import common, listing_metadata, resilience_metadata, skipped_table, total
from connectors_pipeline.defs.reconciliation import build_reconciliation_schedule
from connectors_pipeline.defs.resources import ConnectorsResource
from connectors_pipeline.defs.sensors import build_accounts_sensor
from connectors_pipeline.defs.sync_records import record_completion, record_export, record_listing, record_resilience
from connectors_pipeline.providers.registry import ProviderInfo
from connectors_pipeline.sync.export import ExportOutcome, export_pending
from connectors_pipeline.sync.ingest import ingest_fetched
from connectors_pipeline.sync.listing import ListingOutcome, refresh_listing

# Retry transient failures with backoff and jitter.
LISTING_IO_MANAGER = "listing_frames"
RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.FULL)


def build_connector_defs(spec: ProviderInfo) -> dg.Definitions:
    # backfill_policy and partitioned checks are marked beta/preview in Dagster 1.13; we rely on them knowingly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (dg.BetaWarning, dg.PreviewWarning))
        return _build_connector_defs(spec)


def _build_connector_defs(spec: ProviderInfo) -> dg.Definitions:
    name = spec.name
    accounts = dg.DynamicPartitionsDefinition(name=f"{name}_accounts")
    listing_key = dg.AssetKey([name, "file_listing"])
    exported_key = dg.AssetKey([name, "exported_documents"])
    vault_key = dg.AssetKey([name, "vault_items"])
    shared = {
        "partitions_def": accounts,
        "group_name": name,
        "kinds": {name, "python"},
        "pool": f"{name}_api",
        "backfill_policy": dg.BackfillPolicy.multi_run(max_partitions_per_run=ACCOUNTS_PER_RUN),
        "retry_policy": RETRY,
    }

    @dg.asset(
        key=listing_key,
        description=f"Every file of the {spec.display_name} account as it is now, one row per file.",
        io_manager_key=LISTING_IO_MANAGER,
        **shared,
    )
    def file_listing(context: dg.AssetExecutionContext, connectors: ConnectorsResource) -> dg.Output:
        services = connectors.services()
        mode = requested_mode(context)
        resilience: list[dict[str, float]] = []

        def step(partition_key: str) -> ListingOutcome:
            try:
                outcome = refresh_listing(services, partition_key, mode)
            finally:
                resilience.append(record_resilience(services, context.run.run_id, partition_key))
            if outcome.cursor is not None:
                services.store.stage_cursor(partition_key, outcome.cursor, holder=lease_holder(context))
            record_listing(services, context.run.run_id, partition_key, outcome)
            return outcome

        results = for_each_account(context, services, "file_listing", step)
        # An account that failed keeps its last good listing: the IO manager writes only these.
        updates = {
            key: ListingUpdate(listing_frame(o.decisions), complete=o.complete, removed_ids=tuple(o.removed_ids))
            for key, o in results.items()
        }
        metadata = {**listing_metadata(context, results), **resilience_metadata(resilience)}
        return dg.Output(updates, metadata=metadata)

    @dg.asset(
        key=exported_key,
        deps=[listing_key],
        description="New or changed items downloaded or exported into the blob store.",
        **shared,
    )
    def exported_documents(context: dg.AssetExecutionContext, connectors: ConnectorsResource) -> dg.MaterializeResult:
        services = connectors.services()
        resilience: list[dict[str, float]] = []

        def step(partition_key: str) -> ExportOutcome:
            try:
                outcome = export_pending(services, partition_key)
            finally:
                resilience.append(record_resilience(services, context.run.run_id, partition_key))
            record_export(services, context.run.run_id, partition_key, outcome)
            return outcome

        results = for_each_account(context, services, "exported_documents", step)
        outcomes = results.values()
        return dg.MaterializeResult(
            metadata={
                **common(context, len(results), sum(o.seconds for o in outcomes)),
                "items_fetched": sum(o.fetched for o in outcomes),
                "bytes_fetched": sum(o.bytes for o in outcomes),
                "items_failed_retry_next_sync": sum(o.errors for o in outcomes),
                "items_deferred_by_quota_next_sync": sum(o.deferred for o in outcomes),
                "skipped_by_reason": skipped_table(total(o.skipped for o in outcomes)),
                **resilience_metadata(resilience),
            }
        )

    @dg.asset(
        key=vault_key,
        deps=[exported_key],
        description="Normalized text and metadata of every allowed item, versioned and searchable.",
        **shared,
    )
    def vault_items(context: dg.AssetExecutionContext, connectors: ConnectorsResource) -> dg.MaterializeResult:
        services = connectors.services()
        store = services.store

        def step(partition_key: str):
            outcome = ingest_fetched(services, partition_key)
            # A compare-and-set: raises LeaseLost (the account is then left to the new holder) when
            # another run took the account over meanwhile.
            store.commit_staged_cursor(partition_key, lease_holder(context))
            store.mark_synced(partition_key)
            record_completion(services, context.run.run_id, partition_key, outcome)
            store.release_sync_lease(partition_key, lease_holder(context))
            return outcome

        results = for_each_account(context, services, "vault_items", step)
        outcomes = results.values()
        outcome_totals = total(o.outcomes for o in outcomes)
        metadata = {
            **common(context, len(results), sum(o.seconds for o in outcomes)),
            "documents_created": outcome_totals["created"],
            "documents_updated": outcome_totals["updated"],
            "documents_restored": outcome_totals["restored"],
            "documents_unchanged": outcome_totals["unchanged"],
            "skipped_by_reason": skipped_table(total(o.skipped for o in outcomes)),
            "vault_documents_live": sum(store.count_documents(key) for key in results),
        }
        fail_run_for_failed_accounts(services, context, metadata)
        return dg.MaterializeResult(metadata=metadata)

    assets = [file_listing, exported_documents, vault_items]
    checks = build_checks(accounts, exported_key, vault_key)
    job = dg.define_asset_job(
        name=f"{name}_sync",
        selection=dg.AssetSelection.assets(*assets),
        description=f"Sync {spec.display_name} accounts into the vault.",
        # A run retry must list and fetch again: resuming at the failed step would commit a cursor
        # for an account whose listing or export failed.
        tags={"dagster/retry_strategy": "ALL_STEPS"},
    )
    freshness_job, freshness_schedule = build_freshness_schedule(name, accounts, vault_key)
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[job, freshness_job],
        sensors=[
            build_accounts_sensor(name, accounts, job.name),
            build_changes_sensor(name, accounts, job.name),
        ],
        schedules=[build_reconciliation_schedule(name, accounts, job.name, ACCOUNTS_PER_RUN), freshness_schedule],
    )
