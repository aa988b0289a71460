"""Freshness of each account's sync: the window, the verdict per account, and the hourly job that evaluates it.

Evaluated only in the run that has just synced an account, a freshness check could never fail, so it
also runs on its own: every hour a checks-only job (it materializes nothing) evaluates it for every
account, ACCOUNTS_PER_RUN accounts to a run as a partition range, like a backfill. Dagster's
FreshnessPolicy judges a whole asset, not one partition per account, hence a check of our own.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg

from connectors_pipeline.defs.batching import range_tags
from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.store import AccountRecord, Store

FRESHNESS = "freshness"  # the check's name on <provider>/vault_items
WINDOW_ENV = "CONNECTORS_FRESHNESS_HOURS"
DEFAULT_WINDOW_HOURS = 24.0
CRON = "0 * * * *"
# Each account's verdict is its own event in the run's log (about 25 ms apiece on SQLite instance
# storage), so a run of 100 takes a few seconds and 1,000 accounts make ten runs an hour.
ACCOUNTS_PER_RUN = 100
STALE_SAMPLE = 100  # stale partition keys named in a run's summary


def freshness_window(env: Mapping[str, str]) -> timedelta:
    raw = (env.get(WINDOW_ENV) or "").strip()
    if not raw:
        return timedelta(hours=DEFAULT_WINDOW_HOURS)
    try:
        hours = float(raw)
    except ValueError:
        raise ConfigurationError(f"{WINDOW_ENV} must be a number of hours, got {raw!r}") from None
    if not math.isfinite(hours) or hours <= 0:
        raise ConfigurationError(f"{WINDOW_ENV} must be a positive number of hours, got {raw!r}")
    return timedelta(hours=hours)


@dataclass(frozen=True)
class Freshness:
    passed: bool
    reason: str  # a short code, counted in a run's summary
    detail: str  # what an operator reads in the UI
    last_synced_at: datetime | None
    age: timedelta | None  # since the last successful sync


def judge_freshness(account: AccountRecord | None, now: datetime, window: timedelta) -> Freshness:
    if account is None:
        return Freshness(False, "unknown_account", "no connector account has this partition key", None, None)
    synced = account.last_sync_at
    age = now - synced if synced is not None else None
    if account.status == "error":
        # Nothing syncs until the person reconnects, whatever the age of the last sync.
        detail = f"consent gone, the person must reconnect: {account.last_error or 'no detail recorded'}"
        return Freshness(False, "consent_gone", detail, synced, age)
    if account.status != "connected":
        detail = f"{account.status}: syncing stopped on purpose, the vault keeps what it has"
        return Freshness(True, "not_syncing", detail, synced, age)
    if age is not None:
        if age <= window:
            return Freshness(True, "synced_within_window", "last successful sync within the window", synced, age)
        return Freshness(False, "stale", "no successful sync within the window", synced, age)
    if now - account.created_at <= window:
        return Freshness(True, "initial_sync_pending", "connected recently, first sync not finished yet", None, None)
    return Freshness(False, "never_synced", "connected longer than the window ago and never synced", None, None)


def freshness_results(store: Store, partition_keys: list[str]) -> dict[str, dg.AssetCheckResult]:
    window = freshness_window(os.environ)
    now = datetime.now(UTC)
    accounts = {a.partition_key: a for a in store.list_accounts(statuses=None)}
    return {key: _result(judge_freshness(accounts.get(key), now, window), window) for key in partition_keys}


def _result(verdict: Freshness, window: timedelta) -> dg.AssetCheckResult:
    synced = verdict.last_synced_at
    return dg.AssetCheckResult(
        passed=verdict.passed,
        description=verdict.detail,
        metadata={
            "last_synced_at": dg.MetadataValue.timestamp(synced) if synced else dg.MetadataValue.text("never"),
            "age_hours": round(verdict.age / timedelta(hours=1), 2) if verdict.age is not None else None,
            "window_hours": window / timedelta(hours=1),
            "reason": verdict.reason,
        },
    )


def summarize_freshness(results: Mapping[str, dg.AssetCheckResult]) -> dict[str, object]:
    stale = sorted(key for key, result in results.items() if not result.passed)
    window = next(iter(results.values())).metadata["window_hours"] if results else None
    return {
        "window_hours": window,
        "accounts_stale": len(stale),
        "stale_by_reason": dg.MetadataValue.json(
            dict(Counter(str(results[key].metadata["reason"].value) for key in stale))
        ),
        "stale_accounts": dg.MetadataValue.json(stale[:STALE_SAMPLE]),
    }


def freshness_requests(partition_keys: list[str], hour: str, accounts_per_run: int) -> list[dg.RunRequest]:
    # Partition order is the accounts' connection order, so a range is a stable batch of accounts.
    batches = [partition_keys[n : n + accounts_per_run] for n in range(0, len(partition_keys), accounts_per_run)]
    return [
        dg.RunRequest(run_key=f"freshness:{hour}:{batch[0]}", tags=range_tags(batch[0], batch[-1])) for batch in batches
    ]


def build_freshness_schedule(
    provider: str,
    accounts: dg.DynamicPartitionsDefinition,
    vault_key: dg.AssetKey,
    accounts_per_run: int = ACCOUNTS_PER_RUN,
) -> tuple[dg.UnresolvedAssetJobDefinition, dg.ScheduleDefinition]:
    """The checks-only job that evaluates `freshness` on `vault_key`, and its hourly schedule."""
    job = dg.define_asset_job(
        name=f"{provider}_freshness",
        selection=dg.AssetSelection.checks(dg.AssetCheckKey(vault_key, FRESHNESS)),
        description="Evaluates each account's sync freshness without syncing anything.",
    )

    @dg.schedule(
        name=f"{provider}_freshness_hourly",
        job=job,
        cron_schedule=CRON,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Every hour, checks that each account synced successfully within ${WINDOW_ENV} "
        f"(default {DEFAULT_WINDOW_HOURS:g}) hours.",
    )
    def freshness_schedule(context: dg.ScheduleEvaluationContext) -> dg.SkipReason | list[dg.RunRequest]:
        freshness_window(os.environ)  # a bad window fails this tick with its message, not every run
        keys = list(context.instance.get_dynamic_partitions(accounts.name))
        if not keys:
            return dg.SkipReason("no accounts")
        when = context.scheduled_execution_time or datetime.now(UTC)
        return freshness_requests(keys, f"{when:%Y-%m-%dT%H}", accounts_per_run)

    return job, freshness_schedule
