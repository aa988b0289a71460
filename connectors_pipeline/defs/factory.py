"""Builds one provider's partitions, assets, checks, job and sensor; it knows nothing of any provider."""

import warnings

import dagster as dg

from connectors_pipeline.defs.account_steps import fail_run_for_failed_accounts, for_each_account
from connectors_pipeline.defs.checks import build_checks
from connectors_pipeline.defs.listing_frames import COLUMNS, listing_frame
from connectors_pipeline.defs.metadata import common, skipped_table, total
from connectors_pipeline.defs.resources import ConnectorsResource
from connectors_pipeline.defs.sensors import build_accounts_sensor
from connectors_pipeline.providers.registry import ProviderInfo
from connectors_pipeline.sync.export import export_pending
from connectors_pipeline.sync.ingest import ingest_fetched
from connectors_pipeline.sync.listing import refresh_listing

# Connector work is I/O bound and provider-limited: batch accounts per run (run launch costs seconds)
# and retry transient failures with backoff and jitter.
ACCOUNTS_PER_RUN = 10
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

        def step(partition_key: str):
            outcome = refresh_listing(services, partition_key)
            if outcome.cursor is not None:
                services.store.stage_cursor(partition_key, outcome.cursor)
            return outcome

        results = for_each_account(context, services, "file_listing", step)
        outcomes = results.values()
        # An account that failed keeps its last good listing: the IO manager writes only these frames.
        frames = {key: listing_frame(outcome.decisions) for key, outcome in results.items()}
        return dg.Output(
            frames,
            metadata={
                **common(context, len(results), sum(o.seconds for o in outcomes)),
                "dagster/row_count": sum(o.listed for o in outcomes),
                "dagster/column_schema": COLUMNS,
                "items_to_fetch": sum(o.to_fetch for o in outcomes),
                "items_moved": sum(o.count("moved") for o in outcomes),
                "items_unchanged": sum(o.count("unchanged") for o in outcomes),
                "items_removed": sum(o.removed for o in outcomes),
                "skipped_by_reason": skipped_table(total(o.skipped for o in outcomes)),
                "cursor_staged": dg.MetadataValue.json({key: o.cursor for key, o in results.items()}),
            },
        )

    @dg.asset(
        key=exported_key,
        deps=[listing_key],
        description="New or changed items downloaded or exported into the blob store.",
        **shared,
    )
    def exported_documents(context: dg.AssetExecutionContext, connectors: ConnectorsResource) -> dg.MaterializeResult:
        services = connectors.services()
        results = for_each_account(context, services, "exported_documents", lambda key: export_pending(services, key))
        outcomes = results.values()
        return dg.MaterializeResult(
            metadata={
                **common(context, len(results), sum(o.seconds for o in outcomes)),
                "items_fetched": sum(o.fetched for o in outcomes),
                "bytes_fetched": sum(o.bytes for o in outcomes),
                "items_failed_retry_next_sync": sum(o.errors for o in outcomes),
                "skipped_by_reason": skipped_table(total(o.skipped for o in outcomes)),
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
            store.commit_staged_cursor(partition_key)
            store.mark_synced(partition_key)
            items = store.load_items(partition_key).values()
            counts = {
                "files_imported": outcome.ingested,
                "files_unchanged": outcome.outcomes["unchanged"],
                "files_skipped": sum(1 for item in items if item.status == "skipped"),
            }
            job = store.find_job(partition_key, context.run.run_id)
            if job is not None:
                store.finish_job(job.id, status="succeeded", counts=counts)
            store.log_activity(
                "connector_sync_completed",
                partition_key=partition_key,
                context={"run_id": context.run.run_id, **counts},
            )
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
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[job],
        sensors=[build_accounts_sensor(name, accounts, job.name)],
    )
