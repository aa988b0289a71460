"""The change sensor polls every synced account cheaply and requests runs only where something changed."""

from __future__ import annotations

import json
import threading
import time

import dagster as dg
import pytest

from connectors_pipeline.cli.bench_accounts import connect_sandbox_drive
from connectors_pipeline.definitions import defs
from connectors_pipeline.defs import change_sensor
from connectors_pipeline.defs.change_sensor import MAX_ATTEMPTS
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.providers.base import Scope
from connectors_pipeline.sandbox import SandboxServer, SandboxState, sandbox_client_config
from connectors_pipeline.store import Store
from connectors_pipeline.store.cipher import resolve_keyring
from connectors_pipeline.sync.cursors import SyncCursor

SENSOR = "google_drive_changes_sensor"
CHANGES = r"^/drive/v3/changes$"


def evaluate(instance, cursor: str | None = None) -> tuple[dg.SensorResult, float]:
    sensor = defs.resolve_sensor_def(SENSOR)
    started = time.monotonic()
    with dg.build_sensor_context(instance=instance, definitions=defs, resources=defs.resources, cursor=cursor) as ctx:
        result = sensor(ctx)
    return result, time.monotonic() - started


def run_request(world, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("google_drive_sync")
    return job.execute_in_process(
        partition_key=request.partition_key, instance=world.instance, tags=dict(request.tags), raise_on_error=False
    )


def test_a_synced_account_is_polled_once_and_synced_only_when_it_changed(drive_world):
    job = defs.resolve_job_def("google_drive_sync")
    assert job.execute_in_process(partition_key=drive_world.key, instance=drive_world.instance).success
    state = drive_world.state
    state.reset_requests()

    quiet, _ = evaluate(drive_world.instance)

    assert quiet.run_requests == [] and "no changes" in quiet.skip_reason.skip_message
    assert [r.path for r in state.requests] == ["/drive/v3/changes"]

    state.drive(drive_world.account.email).create_file("new.txt", None, "text/plain", b"fresh")
    changed, _ = evaluate(drive_world.instance, quiet.cursor)

    [request] = changed.run_requests
    assert request.partition_key == drive_world.key and request.run_key.startswith("changes:")
    assert request.tags["connectors/trigger"] == "changes"
    scheduled = drive_world.store.list_activity(limit=1, partition_key=drive_world.key)[0]
    assert (scheduled.event, scheduled.context["run_key"]) == ("connector_job_scheduled", request.run_key)

    assert run_request(drive_world, request).success
    after, _ = evaluate(drive_world.instance, changed.cursor)
    assert after.run_requests == []
    job_row = drive_world.store.list_jobs(limit=1, partition_key=drive_world.key)[0]
    assert job_row.job_type == "incremental_sync" and job_row.counts["files_imported"] == 1


def test_a_failed_run_is_requested_again_under_a_new_key_a_bounded_number_of_times(drive_world):
    job = defs.resolve_job_def("google_drive_sync")
    assert job.execute_in_process(partition_key=drive_world.key, instance=drive_world.instance).success
    drive_world.state.drive(drive_world.account.email).create_file("new.txt", None, "text/plain", b"fresh")

    @dg.op
    def fails() -> None:
        raise RuntimeError("the sync run failed")

    failing = dg.GraphDefinition(name="failing", node_defs=[fails]).to_job()
    keys = []
    cursor = None
    for _ in range(MAX_ATTEMPTS + 1):
        result, _ = evaluate(drive_world.instance, cursor)
        cursor = result.cursor
        if not result.run_requests:
            break
        [request] = result.run_requests
        keys.append(request.run_key)
        # Stand in for the requested run, failing (a real one would carry the same tags).
        failing.execute_in_process(instance=drive_world.instance, tags=dict(request.tags), raise_on_error=False)
    assert len(keys) == len(set(keys)) == MAX_ATTEMPTS
    assert all(key.endswith(f":{n}") for n, key in enumerate(keys))


def requested_run_recorded_as(world, status: dg.DagsterRunStatus) -> tuple[dg.SensorResult, dg.DagsterRun]:
    """Sync, change a file, let the sensor request a run, and record that run in `status`."""
    job = defs.resolve_job_def("google_drive_sync")
    assert job.execute_in_process(partition_key=world.key, instance=world.instance).success
    world.state.drive(world.account.email).create_file("new.txt", None, "text/plain", b"fresh")
    first, _ = evaluate(world.instance)
    [request] = first.run_requests
    tags = {**request.tags, "dagster/partition": request.partition_key}
    return first, world.instance.create_run_for_job(job, tags=tags, status=status)


def test_a_run_in_flight_is_not_requested_twice(drive_world):
    # Submitted, not yet started: the cursor has not moved, so the feed still shows the change.
    first, _ = requested_run_recorded_as(drive_world, dg.DagsterRunStatus.NOT_STARTED)

    second, _ = evaluate(drive_world.instance, first.cursor)

    assert second.run_requests == []


def test_a_run_killed_mid_sync_is_requested_again(drive_world):
    first, run = requested_run_recorded_as(drive_world, dg.DagsterRunStatus.STARTED)
    # Started but not yet syncing the account (waiting for a pool slot): still under way.
    assert evaluate(drive_world.instance, first.cursor)[0].run_requests == []

    # SIGKILLed mid-sync: Dagster still says STARTED, its job row says running, and no lease is held.
    drive_world.store.start_job(drive_world.key, run_id=run.run_id, job_type="incremental_sync")
    [again] = evaluate(drive_world.instance, first.cursor)[0].run_requests

    assert again.partition_key == drive_world.key and again.run_key.endswith(":1")


def test_items_that_keep_failing_do_not_hold_back_new_changes(drive_world):
    job = defs.resolve_job_def("google_drive_sync")
    assert job.execute_in_process(partition_key=drive_world.key, instance=drive_world.instance).success
    [item] = list(drive_world.store.load_items(drive_world.key, statuses=["synced"]).values())[:1]
    drive_world.store.record_error(drive_world.key, item.external_id, "TransientError: HTTP 503")
    first, _ = evaluate(drive_world.instance)
    [retry] = first.run_requests
    assert retry.tags["connectors/trigger"] == "retry_items"
    # Every retry run at this cursor failed for good: the retry budget is spent.
    tags = {**retry.tags, "dagster/partition": drive_world.key}
    for _ in range(MAX_ATTEMPTS):
        drive_world.instance.create_run_for_job(job, tags=tags, status=dg.DagsterRunStatus.FAILURE)
    assert evaluate(drive_world.instance, first.cursor)[0].run_requests == []

    drive_world.state.drive(drive_world.account.email).create_file("later.txt", None, "text/plain", b"later")
    [changed] = evaluate(drive_world.instance, first.cursor)[0].run_requests

    assert changed.tags["connectors/trigger"] == "changes" and changed.partition_key == drive_world.key


def test_a_new_folder_source_or_a_stale_cursor_requests_a_run(drive_world):
    job = defs.resolve_job_def("google_drive_sync")
    assert job.execute_in_process(partition_key=drive_world.key, instance=drive_world.instance).success
    store = drive_world.store
    folder = drive_world.state.drive(drive_world.account.email).create_folder("Later")
    store.add_source(drive_world.key, kind="folder", external_id=folder, name="Later")

    scoped, _ = evaluate(drive_world.instance)
    assert [r.tags["connectors/trigger"] for r in scoped.run_requests] == ["scope_changed"]

    # The same scope and policy as now, but a token Drive never issued.
    scopes = [Scope(roots=(folder,))]
    store.set_cursor(drive_world.key, SyncCursor.taken("999999", scopes, OrgPolicy()).encode())
    stale, _ = evaluate(drive_world.instance, scoped.cursor)
    assert [r.tags["connectors/trigger"] for r in stale.run_requests] == ["stale_cursor"]


def connect_many(connectors_env, count: int):
    """`count` connected sandbox accounts, each already synced (its cursor committed), one file each."""
    state = SandboxState()
    store = Store.open(connectors_env.database_url, resolve_keyring(connectors_env, allow_demo_key=False))
    with SandboxServer(state, port=0) as server, dg.instance_for_test() as instance:
        client = sandbox_client_config(server.url)
        keys: dict[str, str] = {}  # partition key -> email
        for n in range(count):
            email = f"person{n:04d}@example.com"
            account = connect_sandbox_drive(store, state, client, email)
            drive = state.drive(email)
            drive.create_file("notes.txt", None, "text/plain", f"notes of {email}".encode())
            cursor = SyncCursor.taken(drive.start_page_token(), [Scope()], OrgPolicy())
            store.set_cursor(account.partition_key, cursor.encode())
            keys[account.partition_key] = email
        instance.add_dynamic_partitions("google_drive_accounts", list(keys))
        yield state, instance, keys
    store.dispose()


@pytest.fixture
def thousand_accounts(connectors_env):
    yield from connect_many(connectors_env, 1000)


@pytest.fixture
def forty_accounts(connectors_env):
    yield from connect_many(connectors_env, 40)


def test_a_tick_out_of_time_leaves_the_rest_to_the_next_ticks_and_polls_each_account_once(forty_accounts, monkeypatch):
    state, instance, keys = forty_accounts
    monkeypatch.setattr(change_sensor, "TICK_BUDGET_SECONDS", 0.0)  # one batch of polls per tick
    state.reset_requests()
    cursor, stops = None, []
    while True:
        result, _ = evaluate(instance, cursor)
        cursor = result.cursor
        stops.append(json.loads(cursor)["after"])
        if stops[-1] is None:
            break
        assert len(stops) < 40, "the round must end"
    ordered = sorted(keys)
    batch = change_sensor.POLL_WORKERS
    # Each tick polls the next batch in partition-key order, and the round ends after the last one.
    assert stops == [ordered[n - 1] for n in range(batch, 40, batch)] + [None]
    assert len(state.requests_to(CHANGES)) == 40  # one poll per account in the round


def test_a_thousand_accounts_are_polled_within_the_sensor_limit_and_only_changed_ones_run(thousand_accounts):
    state, instance, keys = thousand_accounts
    changed = sorted(keys)[::250]  # four accounts, spread out
    for key in changed:
        state.drive(keys[key]).create_file("change.txt", None, "text/plain", b"changed")
    state.reset_requests()

    requested, ticks, cursor = [], [], None
    while True:
        result, seconds = evaluate(instance, cursor)
        ticks.append(seconds)
        requested += [r.partition_key for r in result.run_requests]
        cursor = result.cursor
        if json.loads(cursor)["after"] is None:
            break
        assert len(ticks) < 20, "the sensor must get round all accounts"

    assert sorted(requested) == changed
    assert max(ticks) < 60  # Dagster cancels a sensor tick at 60 s
    assert len(state.requests_to(CHANGES)) == 1000  # one cheap request per account
    print(f"1,000 accounts: {len(ticks)} tick(s), longest {max(ticks):.1f} s")


def test_a_hung_poll_is_passed_over_and_a_slow_one_is_not_polled_twice(forty_accounts, monkeypatch):
    state, instance, keys = forty_accounts
    ordered = sorted(keys)
    hung, slow = ordered[0], ordered[1]
    release = threading.Event()
    real_poll = change_sensor.poll_account

    def poll_account(services, key):
        if key == hung:
            release.wait(30)  # a provider that never answers within the tick
        elif key == slow:
            time.sleep(0.3)  # slower than the tick budget, well inside the grace
        return real_poll(services, key)

    monkeypatch.setattr(change_sensor, "poll_account", poll_account)
    monkeypatch.setattr(change_sensor, "TICK_BUDGET_SECONDS", 0.0)  # one batch of polls per tick
    monkeypatch.setattr(change_sensor, "POLL_GRACE_SECONDS", 4.0)  # the batch's time to answer
    state.reset_requests()
    try:
        first, seconds = evaluate(instance)
    finally:
        release.set()

    assert seconds < 15
    # The first batch is done (the hung poll given up for this round); the slow poll is not repeated.
    assert json.loads(first.cursor)["after"] == ordered[change_sensor.POLL_WORKERS - 1]
    second, _ = evaluate(instance, first.cursor)
    assert json.loads(second.cursor)["after"] == ordered[2 * change_sensor.POLL_WORKERS - 1]
    users = [r.user for r in state.requests_to(CHANGES)]
    # The hung poll is not repeated in the next tick either (its own late answer may be logged).
    assert users.count(keys[hung]) <= 1 and users.count(keys[slow]) == 1
    assert {keys[k] for k in ordered[: 2 * change_sensor.POLL_WORKERS]} - {keys[hung]} <= set(users)
