"""Freshness: the window, the verdict per account, and the hourly schedule that evaluates every account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from connectors_pipeline.definitions import defs
from connectors_pipeline.defs.batching import RANGE_END, RANGE_START
from connectors_pipeline.defs.freshness import (
    FRESHNESS,
    build_freshness_schedule,
    freshness_window,
    judge_freshness,
)
from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.store import AccountRecord
from connectors_pipeline.store.schema import utcnow
from connectors_pipeline_tests.store.conftest import connect

ACCOUNTS = dg.DynamicPartitionsDefinition(name="google_drive_accounts")
VAULT = dg.AssetKey(["google_drive", "vault_items"])
CHECK = dg.AssetCheckKey(VAULT, FRESHNESS)
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


@pytest.mark.parametrize(("raw", "hours"), [(None, 24), ("", 24), ("6", 6), (" 0.5 ", 0.5), ("168", 168)], ids=repr)
def test_the_window_comes_from_the_environment_in_hours(raw, hours):
    env = {} if raw is None else {"CONNECTORS_FRESHNESS_HOURS": raw}
    assert freshness_window(env) == timedelta(hours=hours)


@pytest.mark.parametrize("raw", ["a day", "24h", "0", "-3", "nan", "inf"])
def test_an_invalid_window_is_a_configuration_error_naming_the_variable(raw):
    with pytest.raises(ConfigurationError, match=f"CONNECTORS_FRESHNESS_HOURS must be .*{raw!r}"):
        freshness_window({"CONNECTORS_FRESHNESS_HOURS": raw})


def account(status="connected", synced_ago=None, connected_ago=timedelta(days=30), error=None) -> AccountRecord:
    return AccountRecord(
        partition_key="google_drive-test",
        tenant_id="default",
        user_id="local",
        provider="google_drive",
        external_account_id="1",
        email=None,
        display_name="Ada",
        status=status,
        last_sync_at=NOW - synced_ago if synced_ago is not None else None,
        last_error=error,
        metadata={},
        created_at=NOW - connected_ago,
    )


@pytest.mark.parametrize(
    ("record", "passed", "reason"),
    [
        (account(synced_ago=timedelta(hours=2)), True, "synced_within_window"),
        (account(synced_ago=DAY), True, "synced_within_window"),
        (account(synced_ago=DAY + timedelta(minutes=1)), False, "stale"),
        (account(connected_ago=timedelta(minutes=5)), True, "initial_sync_pending"),
        (account(connected_ago=timedelta(days=2)), False, "never_synced"),
        (account("error", synced_ago=timedelta(minutes=5), error="invalid_grant"), False, "consent_gone"),
        (account("disconnected", synced_ago=timedelta(days=9)), True, "not_syncing"),
        (None, False, "unknown_account"),
    ],
    ids=["fresh", "at_the_edge", "stale", "new", "never_synced", "consent_gone", "disconnected", "unknown"],
)
def test_each_account_is_judged_against_the_window(record, passed, reason):
    verdict = judge_freshness(record, NOW, DAY)
    assert (verdict.passed, verdict.reason) == (passed, reason)


def code_location(job: dg.UnresolvedAssetJobDefinition, schedule: dg.ScheduleDefinition) -> dg.Definitions:
    """The project's assets, checks and resources with this test's freshness job and schedule."""
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        resources=defs.resources,
        executor=defs.executor,
        jobs=[job],
        schedules=[schedule],
    )


def set_account(store, partition_key: str, **values) -> None:
    accounts = sa.table("connector_accounts", sa.column("partition_key"), *(sa.column(name) for name in values))
    with store.engine.begin() as conn:
        conn.execute(sa.update(accounts).where(accounts.c.partition_key == partition_key).values(**values))


def test_the_hourly_schedule_evaluates_every_account_in_batches_and_reports_each_one(drive_world):
    store, instance = drive_world.store, drive_world.instance
    sync = defs.resolve_job_def("google_drive_sync")
    assert sync.execute_in_process(partition_key=drive_world.key, instance=instance).success
    others = {name: connect(store, name).partition_key for name in ("fresh", "stale", "consent", "new", "never")}
    set_account(store, others["fresh"], last_sync_at=utcnow() - timedelta(hours=1))
    set_account(store, others["stale"], last_sync_at=utcnow() - timedelta(hours=30))
    store.set_account_status(others["consent"], "error", error="file_listing: AuthRevokedError: invalid_grant")
    set_account(store, others["never"], created_at=utcnow() - timedelta(days=3))
    instance.add_dynamic_partitions(ACCOUNTS.name, list(others.values()))
    job, schedule = build_freshness_schedule("google_drive", ACCOUNTS, VAULT, accounts_per_run=2)
    location = code_location(job, schedule)

    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime(2026, 3, 2, 7, tzinfo=UTC))
    requests = schedule.evaluate_tick(context).run_requests

    keys = [drive_world.key, *others.values()]
    assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in requests] == [
        (keys[0], keys[1]),
        (keys[2], keys[3]),
        (keys[4], keys[5]),
    ]
    assert requests[0].run_key == f"freshness:2026-03-02T07:{keys[0]}"

    results = [location.resolve_job_def(job.name).execute_in_process(instance=instance, tags=r.tags) for r in requests]

    assert all(result.success for result in results), "stale accounts fail their check, not the run"
    assert not any(result.get_asset_materialization_events() for result in results), "nothing is synced"
    evaluations = [e for result in results for e in result.get_asset_check_evaluations()]
    per_account = {e.partition: e.passed for e in evaluations if e.partition is not None}
    assert per_account == {
        drive_world.key: True,
        others["fresh"]: True,
        others["stale"]: False,
        others["consent"]: False,
        others["new"]: True,
        others["never"]: False,
    }
    # Each run also records a summary of its batch: a batch with a stale account fails it.
    assert [e.passed for e in evaluations if e.partition is None] == [True, False, False]
    last_summary = next(e for e in results[-1].get_asset_check_evaluations() if e.partition is None)
    assert last_summary.metadata["stale_accounts"].value == [others["never"]]
    assert last_summary.metadata["stale_by_reason"].value == {"never_synced": 1}

    # What the UI shows on the check's partitions: every account current, the stale ones failed.
    shown = {
        info.partition_key: (info.latest_execution_status.value, info.is_current)
        for info in instance.event_log_storage.get_asset_check_partition_info([CHECK])
        if info.partition_key is not None
    }
    assert shown == {key: ("SUCCEEDED" if passed else "FAILED", True) for key, passed in per_account.items()}, (
        "the synced account's result must aim at its latest vault_items materialization"
    )


def test_the_schedule_skips_without_accounts_and_refuses_an_invalid_window(monkeypatch):
    job, schedule = build_freshness_schedule("google_drive", ACCOUNTS, VAULT)
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=NOW)
        assert schedule.evaluate_tick(context).skip_message == "no accounts"

        monkeypatch.setenv("CONNECTORS_FRESHNESS_HOURS", "-1")
        with pytest.raises(dg.DagsterUserCodeExecutionError) as failed_tick:
            schedule.evaluate_tick(context)
        assert isinstance(failed_tick.value.__cause__, ConfigurationError)
        assert "CONNECTORS_FRESHNESS_HOURS must be a positive number" in str(failed_tick.value.__cause__)

    assert (schedule.name, schedule.cron_schedule, job.name) == (
        "google_drive_freshness_hourly",
        "0 * * * *",
        "google_drive_freshness",
    )
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
