"""What a sync leaves in the store for people: job counts and the activity log's sync events."""

from connectors_pipeline.store import JobRecord
from connectors_pipeline.sync.export import ExportOutcome
from connectors_pipeline.sync.ingest import IngestOutcome
from connectors_pipeline.sync.listing import ListingOutcome
from connectors_pipeline.sync.services import SyncServices

# In a job's counts: which quota made the job leave work to a later run (the change sensor starts it).
DEFERRED_BY = "deferred_by"


def record_listing(services: SyncServices, run_id: str, partition_key: str, outcome: ListingOutcome) -> None:
    """Keep how the account was listed on its job row, for the completion event and `connectors jobs`."""
    store = services.store
    job = store.find_job(partition_key, run_id)
    if job is None:
        return
    counts: dict[str, object] = {
        "mode": outcome.mode,
        "listed": outcome.listed,
        "files_removed": sum(outcome.removed.values()),
    }
    if outcome.fallback is not None:
        counts["fallback"] = outcome.fallback
    if outcome.mode == "reconcile":
        counts["missed"] = outcome.missed
    store.merge_job_counts(job.id, counts)


def record_resilience(services: SyncServices, run_id: str, partition_key: str) -> dict[str, float]:
    """Add this step's retries and breaker refusals to the account's job row (summed over the run's
    steps) and return them for the step's metadata."""
    counts = services.take_resilience_counts(partition_key)
    job = services.store.find_job(partition_key, run_id)
    if job is not None and any(counts.values()):
        services.store.merge_job_counts(
            job.id, {name: round(job.counts.get(name, 0) + value, 2) for name, value in counts.items()}
        )
    return counts


def record_export(services: SyncServices, run_id: str, partition_key: str, outcome: ExportOutcome) -> None:
    """Keep on the job row how many due items the files-per-job quota left for a later run."""
    job = services.store.find_job(partition_key, run_id)
    if job is not None and outcome.deferred:
        services.store.merge_job_counts(job.id, {"files_deferred": outcome.deferred, DEFERRED_BY: "max_files_per_job"})


def left_work_for_later(job: JobRecord | None) -> bool:
    """Whether a quota made this job leave work for a later run: skipped while the user's other
    syncs ran, or stopped at the files-per-job quota."""
    return job is not None and job.status in ("succeeded", "skipped") and DEFERRED_BY in job.counts


def record_completion(services: SyncServices, run_id: str, partition_key: str, outcome: IngestOutcome) -> None:
    """Finish the job row and log connector_sync_completed (and, after a reconciliation, what it found)."""
    store = services.store
    job = store.find_job(partition_key, run_id)
    listing = dict(job.counts) if job is not None else {}
    counts = {
        **listing,
        "files_imported": outcome.outcomes["created"] + outcome.outcomes["restored"],
        "files_updated": outcome.outcomes["updated"],
        "files_unchanged": outcome.outcomes["unchanged"],
        # skipped by this sync: by the listing, the export or the extraction
        "files_skipped": store.count_items(partition_key, "skipped", since=job.started_at if job else None),
    }
    if job is not None:
        store.finish_job(job.id, status="succeeded", counts=counts)
    event = {key: value for key, value in counts.items() if key != "missed"}
    store.log_activity("connector_sync_completed", partition_key=partition_key, context={"run_id": run_id, **event})
    if listing.get("mode") == "reconcile":
        store.log_activity(
            "connector_reconciliation_completed",
            partition_key=partition_key,
            context={"run_id": run_id, "missed": listing.get("missed", {}), "fallback": listing.get("fallback")},
        )
