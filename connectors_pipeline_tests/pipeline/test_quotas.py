"""Sync quotas through the real Dagster job and change sensor: work is held back, never lost.

CONNECTORS_MAX_FILES_PER_JOB spreads a sync over several runs; CONNECTORS_MAX_CONCURRENT_JOBS_PER_USER
skips an account while its user's other syncs run, and the change sensor starts it once there is room.
"""

from __future__ import annotations

import math

import dagster as dg
import pytest

from connectors_pipeline.connect import connect_account
from connectors_pipeline.definitions import defs
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.domain.principal import Principal, Role
from connectors_pipeline.sandbox import sandbox_client_config, seed_drive
from connectors_pipeline.sandbox.corpus import generate_corpus
from connectors_pipeline.store import AccountRecord
from connectors_pipeline_tests.pipeline.ground_truth import actual_by_id, expected_by_id

FILES_PER_JOB = 7
SENSOR = "google_drive_changes_sensor"
SYNC = "google_drive_sync"


def run(world, **kwargs) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def(SYNC).execute_in_process(instance=world.instance, raise_on_error=False, **kwargs)


def tick(world, cursor: str | None = None) -> dg.SensorResult:
    sensor = defs.resolve_sensor_def(SENSOR)
    with dg.build_sensor_context(
        instance=world.instance, definitions=defs, resources=defs.resources, cursor=cursor
    ) as context:
        return sensor(context)


def run_what_the_sensor_requests(world, *, limit: int) -> list[dg.RunRequest]:
    """Tick, run each requested run, and again, until a tick requests nothing; the requests made."""
    made: list[dg.RunRequest] = []
    cursor = None
    while True:
        result = tick(world, cursor)
        cursor = result.cursor
        if not result.run_requests:
            return made
        for request in result.run_requests:
            made.append(request)
            assert len(made) <= limit, "the sensor keeps requesting runs"
            outcome = run(world, partition_key=request.partition_key, tags=dict(request.tags))
            assert outcome.success


def exported_metadata(result: dg.ExecuteInProcessResult) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "exported_documents"]
    return event.materialization.metadata


def test_a_files_per_job_quota_spreads_a_sync_over_runs_and_loses_nothing(drive_world, monkeypatch):
    monkeypatch.setenv("CONNECTORS_MAX_FILES_PER_JOB", str(FILES_PER_JOB))
    store, key = drive_world.store, drive_world.key

    first = run(drive_world, partition_key=key)

    assert first.success
    job = store.list_jobs(limit=1, partition_key=key)[0]
    due = FILES_PER_JOB + job.counts["files_deferred"]
    assert due > 2 * FILES_PER_JOB, "the corpus must need at least three runs"
    assert exported_metadata(first)["items_fetched"].value <= FILES_PER_JOB
    assert exported_metadata(first)["items_deferred_by_quota_next_sync"].value == due - FILES_PER_JOB
    assert store.count_items(key, "pending") == due - FILES_PER_JOB
    # The cursor is committed: what it leaves undone is pending in the store, not only in the feed.
    assert store.get_cursor(key) is not None

    requests = run_what_the_sensor_requests(drive_world, limit=10)

    assert all(r.tags["connectors/trigger"] == "deferred" for r in requests)
    assert 1 + len(requests) == math.ceil(due / FILES_PER_JOB)
    assert actual_by_id(store, key) == expected_by_id(drive_world.corpus, drive_world.ids, OrgPolicy())
    assert store.count_items(key, "pending", "fetched", "error") == 0
    left = [job.counts.get("files_deferred", 0) for job in reversed(store.list_jobs(partition_key=key))]
    assert left == [max(due - FILES_PER_JOB * n, 0) for n in range(1, len(left) + 1)]


def test_lifting_the_files_quota_lets_the_next_run_finish_the_backlog(drive_world, monkeypatch):
    monkeypatch.setenv("CONNECTORS_MAX_FILES_PER_JOB", str(FILES_PER_JOB))
    assert run(drive_world, partition_key=drive_world.key).success
    monkeypatch.delenv("CONNECTORS_MAX_FILES_PER_JOB")  # read when a run starts: applies from the next

    requests = run_what_the_sensor_requests(drive_world, limit=10)

    assert len(requests) == 1
    expected = expected_by_id(drive_world.corpus, drive_world.ids, OrgPolicy())
    assert actual_by_id(drive_world.store, drive_world.key) == expected


def connect_another(world, email: str, principal: Principal | None = None) -> AccountRecord:
    seed_drive(world.state, email, generate_corpus(seed=5, files=8))
    account = connect_account(
        world.store,
        OrgPolicy(),
        "google_drive",
        sandbox_client_config(world.server.url),
        mode="sandbox",
        login_hint=email,
        **({"principal": principal} if principal else {}),
    )
    world.instance.add_dynamic_partitions("google_drive_accounts", [account.partition_key])
    return account


@pytest.fixture
def one_sync_per_person(monkeypatch):
    monkeypatch.setenv("CONNECTORS_MAX_CONCURRENT_JOBS_PER_USER", "1")


def test_an_account_over_the_concurrency_quota_waits_for_a_later_run(drive_world, one_sync_per_person):
    store = drive_world.store
    second = connect_another(drive_world, "second@example.com").partition_key  # the same person's
    colleague = connect_another(drive_world, "bob@example.com", Principal("default", "bob", Role.MEMBER))
    assert store.acquire_sync_lease(drive_world.key, "a-long-run")  # the person's first account is syncing

    assert run(drive_world, partition_key=second).success
    assert run(drive_world, partition_key=colleague.partition_key).success

    job = store.list_jobs(limit=1, partition_key=second)[0]
    assert job.status == "skipped" and "CONNECTORS_MAX_CONCURRENT_JOBS_PER_USER is 1" in job.error
    assert store.count_documents(second) == 0
    skipped = store.list_activity(limit=1, partition_key=second)[0]
    assert skipped.event == "connector_sync_skipped" and "left for a later run" in skipped.context["reason"]
    assert store.list_jobs(limit=1, partition_key=colleague.partition_key)[0].status == "succeeded"
    # While the first account syncs, the sensor starts nothing more for this person.
    waiting = tick(drive_world)
    assert waiting.run_requests == []

    store.release_sync_lease(drive_world.key, "a-long-run")
    [request] = tick(drive_world, waiting.cursor).run_requests

    assert (request.partition_key, request.tags["connectors/trigger"]) == (second, "deferred")
    assert run(drive_world, partition_key=second, tags=dict(request.tags)).success
    job = store.list_jobs(limit=1, partition_key=second)[0]
    assert (job.job_type, job.status) == ("initial_sync", "succeeded")
    assert store.count_documents(second) > 0


def test_a_batch_syncs_a_persons_accounts_one_at_a_time_under_a_quota_of_one(drive_world, one_sync_per_person):
    store = drive_world.store
    second = connect_another(drive_world, "second@example.com").partition_key
    batch = {"dagster/asset_partition_range_start": drive_world.key, "dagster/asset_partition_range_end": second}

    result = run(drive_world, tags=batch)

    assert result.success
    jobs = {job.partition_key: job.status for job in store.list_jobs() if job.dagster_run_id == result.run_id}
    assert jobs == {drive_world.key: "succeeded", second: "skipped"}

    requests = run_what_the_sensor_requests(drive_world, limit=3)

    assert [r.partition_key for r in requests] == [second]
    assert store.list_jobs(limit=1, partition_key=second)[0].status == "succeeded"
    assert store.count_documents(second) > 0
