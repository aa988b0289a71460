"""Runs one sync step for every account partition of a run; one account's failure never stops the others.

Each account of a run has a connector_jobs row. A step skips the accounts whose row says an earlier
step of this run failed for them, or whose consent is gone (status `error`), and runs the others,
including a retry of itself for an account it failed before. Runs of a single asset, or re-executions
(a new run id), start their rows as they go.

An account another run is syncing, or whose user already has CONNECTORS_MAX_CONCURRENT_JOBS_PER_USER
syncs of that provider running, is skipped with the reason on a `skipped` job row; the change sensor
starts a later run for one the quota held back.
"""

from collections.abc import Callable
from typing import TypeVar

import dagster as dg

from connectors_pipeline.defs.sync_records import DEFERRED_BY
from connectors_pipeline.domain.errors import (
    AuthRevokedError,
    ConfigurationError,
    ConnectorError,
    PolicyError,
    TransientError,
)
from connectors_pipeline.domain.quotas import ConcurrencyQuotaExceeded
from connectors_pipeline.store import LeaseLost
from connectors_pipeline.sync.services import SyncServices

T = TypeVar("T")

STEPS = ("file_listing", "exported_documents", "vault_items")
# A run tagged `connectors/mode: reconcile` takes a full snapshot even when the change feed is readable.
MODE_TAG = "connectors/mode"
JOB_TYPES = {"initial": "initial_sync", "incremental": "incremental_sync", "reconcile": "reconciliation"}
# Retrying these cannot help: the person must reconnect, or the operator must fix the configuration.
PERMANENT_ERRORS = (AuthRevokedError, ConfigurationError, PolicyError)
# Step retries when every account's failure came with the provider's own wait (or an open breaker's).
WAIT_RETRIES = 3
MAX_WAIT_SECONDS = 15 * 60


def for_each_account(
    context: dg.AssetExecutionContext,
    services: SyncServices,
    step_name: str,
    step: Callable[[str], T],
) -> dict[str, T]:
    """Results of the accounts this step ran for successfully.

    A failed account is recorded (job failed with the step, connector_sync_failed, account `error`
    when consent is gone) and the others carry on. When no account is left the step fails: with
    Dagster retries for transient causes, without them when every cause is permanent.
    """
    results: dict[str, T] = {}
    failures: dict[str, Exception] = {}
    for partition_key in context.partition_keys:
        if not _should_run(services, context, partition_key, step_name):
            continue
        try:
            # Fenced: once another run has taken the account's lease over, this run's writes to it fail.
            with services.store.fenced(partition_key, lease_holder(context)):
                results[partition_key] = step(partition_key)
        except LeaseLost as exc:
            _skip(services, context, partition_key, f"{exc}: this run stopped syncing the account", {})
        except Exception as exc:  # one account's failure must not stop the batch
            failures[partition_key] = exc
            record_failure(services, context, partition_key, step_name, exc)
            context.log.error(f"{step_name} failed for account {partition_key}: {type(exc).__name__}")
    if failures and not results:
        description = f"{step_name} failed for every account of the run: {_summary(failures)}"
        waits = [getattr(exc, "retry_after", None) for exc in failures.values()]
        transient = all(isinstance(exc, TransientError) for exc in failures.values())
        if transient and all(waits) and max(waits) <= MAX_WAIT_SECONDS:
            # The provider (Retry-After) or the account's circuit breaker said when to come back.
            context.log.warning(f"{description}; retrying in {max(waits):.0f} s as the provider asked")
            raise dg.RetryRequested(max_retries=WAIT_RETRIES, seconds_to_wait=max(waits))
        # A longer wait would hold the run (and its pool slot) idle: the change sensor starts the
        # account again later instead.
        raise dg.Failure(
            description=description,
            allow_retries=not all(isinstance(exc, PERMANENT_ERRORS) for exc in failures.values())
            and not (transient and all(waits)),
        )
    return results


def fail_run_for_failed_accounts(
    services: SyncServices, context: dg.AssetExecutionContext, metadata: dict[str, object]
) -> None:
    """At the end of the last step: the other accounts are in the vault, but the run must not look green.

    Dagster then records no vault_items materialization for the batch, a backfill shows it failed,
    and run retries give transient failures another chance (cheap for the healthy accounts: their
    next sync reads an empty change feed).
    """
    jobs = [services.store.find_job(key, context.run.run_id) for key in context.partition_keys]
    failed = [job for job in jobs if job is not None and job.status == "failed"]
    if failed:
        raise dg.Failure(
            description=f"the sync failed for {len(failed)} of {len(jobs)} account(s): "
            + ", ".join(f"{job.partition_key} ({job.counts.get('failed_step')})" for job in failed),
            # Retrying this step helps only accounts that failed in it; the others wait for a run retry,
            # which runs every step again (the job's retry strategy is ALL_STEPS).
            allow_retries=any(
                job.counts.get("failed_step") == STEPS[-1] and not job.counts.get("permanent") for job in failed
            ),
            metadata=metadata,
        )


def _should_run(services: SyncServices, context: dg.AssetExecutionContext, partition_key: str, step_name: str) -> bool:
    store, run_id = services.store, context.run.run_id
    if store.get_account(partition_key).status == "error":
        return False  # consent gone: nothing runs until the person reconnects
    job = store.find_job(partition_key, run_id)
    if job is not None and job.status in ("succeeded", "skipped"):
        return False  # done in this run (a retried step must not sync it twice), or left to another run
    if job is not None and job.status == "failed":
        failed_step = job.counts.get("failed_step", step_name)
        if STEPS.index(failed_step) < STEPS.index(step_name):
            return False
    try:
        leased = store.acquire_sync_lease(
            partition_key, lease_holder(context), max_per_user=services.quotas.max_concurrent_jobs_per_user
        )
    except ConcurrencyQuotaExceeded as exc:
        _skip(services, context, partition_key, str(exc), {DEFERRED_BY: "max_concurrent_jobs_per_user"})
        return False
    if not leased:
        holder = store.sync_lease_holder(partition_key)
        reason = f"another run ({holder or 'unknown'}) is syncing this account; it is left to that run"
        _skip(services, context, partition_key, reason, {})
        return False
    if job is None or job.status != "running":
        mode = planned_mode(services, context, partition_key)
        job_type = job.job_type if job is not None else JOB_TYPES[mode]
        attempt = context.retry_number + 1
        store.start_job(partition_key, run_id=run_id, job_type=job_type, attempt=attempt)
        if job is None:
            store.log_activity(
                "connector_sync_started", partition_key=partition_key, context={"run_id": run_id, "mode": mode}
            )
        retry_of_run = int(context.run.tags.get("dagster/retry_number", "0"))
        if (job is not None and job.status == "failed") or (job is None and retry_of_run):
            store.log_activity(
                "connector_job_retried",
                partition_key=partition_key,
                context={"run_id": run_id, "attempt": attempt + retry_of_run, "step": step_name},
            )
    return True


def lease_holder(context: dg.AssetExecutionContext) -> str:
    """The run's root id: Dagster's retries of a run continue under its lease."""
    return context.run.root_run_id or context.run.run_id


def _skip(
    services: SyncServices,
    context: dg.AssetExecutionContext,
    partition_key: str,
    reason: str,
    counts: dict[str, object],
) -> None:
    store, run_id = services.store, context.run.run_id
    context.log.warning(f"{partition_key}: {reason}")
    job = store.find_job(partition_key, run_id)
    if job is not None and job.status == "running":
        job_id = job.id  # the account was this run's until another run took it over
    else:
        job_type = JOB_TYPES[planned_mode(services, context, partition_key)]
        job_id = store.start_job(partition_key, run_id=run_id, job_type=job_type)
    store.finish_job(job_id, status="skipped", counts=counts, error=reason)
    store.log_activity(
        "connector_sync_skipped", partition_key=partition_key, context={"run_id": run_id, "reason": reason}
    )


def requested_mode(context: dg.AssetExecutionContext) -> str:
    """ "reconcile" when the run asks for a full comparison, else "auto" (the feed when it can)."""
    return "reconcile" if context.run.tags.get(MODE_TAG) == "reconcile" else "auto"


def planned_mode(services: SyncServices, context: dg.AssetExecutionContext, partition_key: str) -> str:
    """How the account will be synced by this run (the listing may still fall back to a snapshot)."""
    if services.store.get_cursor(partition_key) is None:
        return "initial"
    return "reconcile" if requested_mode(context) == "reconcile" else "incremental"


def record_failure(
    services: SyncServices, context: dg.AssetExecutionContext, partition_key: str, step_name: str, exc: Exception
) -> None:
    store, run_id = services.store, context.run.run_id
    store.release_sync_lease(partition_key, lease_holder(context))
    # Our own errors are written to be safe to keep; an unexpected one's text (a SQL statement, a path)
    # is not, so only its type is stored in the job row, the account and the activity log.
    detail = f": {exc}" if isinstance(exc, ConnectorError) else ""
    message = f"{step_name}: {type(exc).__name__}{detail}"
    if isinstance(exc, AuthRevokedError):
        store.set_account_status(partition_key, "error", error=message)
    store.log_activity(
        "connector_sync_failed", partition_key=partition_key, context={"run_id": run_id, "error": message}
    )
    job = store.find_job(partition_key, run_id)
    if job is not None:
        counts = {**job.counts, "failed_step": step_name, "permanent": isinstance(exc, PERMANENT_ERRORS)}
        store.finish_job(job.id, status="failed", counts=counts, error=message)


def _summary(failures: dict[str, Exception]) -> str:
    return ", ".join(f"{key} ({type(exc).__name__})" for key, exc in sorted(failures.items()))
