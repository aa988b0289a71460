"""Runs one sync step for every account partition of a run; one account's failure never stops the others."""

from collections.abc import Callable
from typing import TypeVar

import dagster as dg

from connectors_pipeline.domain.errors import AuthRevokedError, ConfigurationError, PolicyError
from connectors_pipeline.sync.services import SyncServices

T = TypeVar("T")

# Retrying these cannot help: the person must reconnect, or the operator must fix the configuration.
PERMANENT_ERRORS = (AuthRevokedError, ConfigurationError, PolicyError)


def start_sync(context: dg.AssetExecutionContext, services: SyncServices, job_type: str) -> None:
    """A connector_jobs row and a connector_sync_started event per account of the run."""
    for partition_key in context.partition_keys:
        services.store.start_job(
            partition_key, run_id=context.run.run_id, job_type=job_type, attempt=context.retry_number + 1
        )
        services.store.log_activity(
            "connector_sync_started", partition_key=partition_key, context={"run_id": context.run.run_id}
        )


def for_each_account(
    context: dg.AssetExecutionContext,
    services: SyncServices,
    step_name: str,
    step: Callable[[str], T],
) -> dict[str, T]:
    """Results of the accounts whose sync is still going in this run (those that failed a step are left out).

    A failed account is recorded (job failed, connector_sync_failed, account `error` when permanent)
    and the others carry on. Only when no account is left does the step fail: with Dagster retries
    for transient causes, without them when every cause is permanent.
    """
    store, run_id = services.store, context.run.run_id
    results: dict[str, T] = {}
    failures: dict[str, Exception] = {}
    for partition_key in context.partition_keys:
        if store.find_running_job(partition_key, run_id) is None:
            continue  # failed an earlier step of this run
        try:
            results[partition_key] = step(partition_key)
        except Exception as exc:  # noqa: BLE001 - one account's failure must not stop the batch
            failures[partition_key] = exc
            record_failure(services, run_id, partition_key, step_name, exc)
            context.log.error(f"{step_name} failed for account {partition_key}: {type(exc).__name__}")
    if failures and not results:
        permanent = all(isinstance(exc, PERMANENT_ERRORS) for exc in failures.values())
        summary = ", ".join(f"{key} ({type(exc).__name__})" for key, exc in sorted(failures.items()))
        raise dg.Failure(
            description=f"{step_name} failed for every account of the run: {summary}",
            allow_retries=not permanent,
        )
    return results


def record_failure(services: SyncServices, run_id: str, partition_key: str, step_name: str, exc: Exception) -> None:
    store = services.store
    message = f"{step_name}: {type(exc).__name__}: {exc}"
    if isinstance(exc, AuthRevokedError):
        store.set_account_status(partition_key, "error", error=message)
    store.log_activity(
        "connector_sync_failed", partition_key=partition_key, context={"run_id": run_id, "error": message}
    )
    job = store.find_running_job(partition_key, run_id)
    if job is not None:
        store.finish_job(job, status="failed", counts={}, error=message)
