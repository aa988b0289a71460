"""Runs one sync step for every account partition of a run, keeping going when one account fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import dagster as dg

from connectors_pipeline.domain.errors import AuthRevokedError, ConnectorError
from connectors_pipeline.sync.services import SyncServices

T = TypeVar("T")


class AccountStepsFailed(Exception):
    """Raised after the other accounts of a batched run finished, naming the accounts that failed."""


def for_each_account(
    context: dg.AssetExecutionContext,
    services: SyncServices,
    step_name: str,
    step: Callable[[str], T],
) -> dict[str, T]:
    results: dict[str, T] = {}
    failures: dict[str, str] = {}
    for partition_key in context.partition_keys:
        try:
            results[partition_key] = step(partition_key)
        except AuthRevokedError as exc:
            services.store.set_account_status(partition_key, "error", error=str(exc))
            _record_failure(services, context.run.run_id, partition_key, step_name, exc)
            failures[partition_key] = type(exc).__name__
        except (ConnectorError, OSError) as exc:
            _record_failure(services, context.run.run_id, partition_key, step_name, exc)
            failures[partition_key] = type(exc).__name__
    if failures:
        summary = ", ".join(f"{key} ({kind})" for key, kind in sorted(failures.items()))
        raise AccountStepsFailed(f"{step_name} failed for {len(failures)} account(s): {summary}")
    return results


def _record_failure(services: SyncServices, run_id: str, partition_key: str, step_name: str, exc: Exception) -> None:
    store = services.store
    message = f"{step_name}: {type(exc).__name__}: {exc}"
    store.log_activity(
        "connector_sync_failed", partition_key=partition_key, context={"run_id": run_id, "error": message}
    )
    job = store.find_running_job(partition_key, run_id)
    if job is not None:
        store.finish_job(job, status="failed", counts={}, error=message)
