"""A provider outage through real runs: retries, the breaker opening, the step waiting, recovery."""

from __future__ import annotations

import dagster as dg

from connectors_pipeline.cli.dagster_runs import run_sync
from connectors_pipeline.definitions import defs
from connectors_pipeline.sandbox.fault_drill import DrillFolder, unexplained_differences
from connectors_pipeline_tests.pipeline.conftest import USER

OUTAGE_ENV = {
    "CONNECTORS_RETRY_ATTEMPTS": "3",
    "CONNECTORS_RETRY_BASE_SECONDS": "0.01",
    "CONNECTORS_RETRY_MAX_BACKOFF_SECONDS": "0.05",
    "CONNECTORS_BREAKER_THRESHOLD": "2",
    "CONNECTORS_BREAKER_COOLDOWN_SECONDS": "1",
}


def breaker_events(store, key):
    return [e.event for e in reversed(store.list_activity(limit=500, partition_key=key)) if "breaker" in e.event]


def test_an_outage_opens_the_breaker_the_step_waits_and_the_next_run_recovers(drive_world, monkeypatch):
    for name, value in OUTAGE_ENV.items():
        monkeypatch.setenv(name, value)
    state, store, key = drive_world.state, drive_world.store, drive_world.key
    folder = DrillFolder.plant(state.drive(USER), files=10)
    store.add_source(key, kind="folder", external_id=folder.root, name="Drill")
    state.add_fault("server_error", rate=1.0)  # every Drive request answers 503

    result = defs.resolve_job_def("google_drive_sync").execute_in_process(
        partition_key=key, instance=drive_world.instance, raise_on_error=False
    )

    assert not result.success
    waits = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert waits, "the step must wait out the open breaker and try again"
    assert store.breaker_state(key).state in ("open", "half_open")
    served_during_outage = len(state.requests_to("^/drive/"))
    # Requests made: the first few failures (with retries), then at most a probe per wait.
    assert served_during_outage <= 5 + 2 * len(waits)
    job = next(j for j in store.list_jobs(partition_key=key) if j.dagster_run_id == result.run_id)
    assert job.status == "failed" and job.counts.get("rejected_by_breaker", 0) > 0

    state.clear_faults()
    recovered = run_sync(drive_world.instance, defs, "google_drive", key)

    assert recovered.success
    assert store.breaker_state(key).state == "closed"
    assert breaker_events(store, key)[0] == "connector_breaker_opened"
    assert breaker_events(store, key)[-1] == "connector_breaker_closed"
    assert unexplained_differences(state, USER, store, key, folder.root) == {}


def test_downloads_failing_for_good_open_the_breaker_and_the_export_step_waits(drive_world, monkeypatch):
    for name, value in OUTAGE_ENV.items():
        monkeypatch.setenv(name, value)
    state, store, key = drive_world.state, drive_world.store, drive_world.key
    folder = DrillFolder.plant(state.drive(USER), files=12)
    store.add_source(key, kind="folder", external_id=folder.root, name="Drill")
    state.add_fault("server_error", path=r"alt=media|/export$", rate=1.0)  # listing works, downloads fail

    result = defs.resolve_job_def("google_drive_sync").execute_in_process(
        partition_key=key, instance=drive_world.instance, raise_on_error=False
    )

    assert not result.success
    waits = [
        e
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY and e.step_key.endswith("exported_documents")
    ]
    assert waits, "the export step stops at the open breaker and waits for its cooldown"
    downloads = len(state.requests_to(r"/files/[^/]+(/export)?$"))
    assert downloads < 12 * 3, "the open breaker spared the rest of the downloads"
    assert store.get_cursor(key) is None  # the vault does not hold the listing yet: nothing committed

    state.clear_faults()
    assert run_sync(drive_world.instance, defs, "google_drive", key).success
    assert unexplained_differences(state, USER, store, key, folder.root) == {}
