"""Token lifecycle through real runs: refresh on expiry, encrypted persistence, revoked consent, reconnect."""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from connectors_pipeline.definitions import defs
from connectors_pipeline.store import schema as t
from connectors_pipeline_tests.pipeline.conftest import USER
from connectors_pipeline_tests.pipeline.test_account_failures import revoke_consent
from connectors_pipeline_tests.pipeline.test_sensors import reconnect

CHANGES = r"^/drive/v3/changes$"


def sync(world) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("google_drive_sync").execute_in_process(
        partition_key=world.key, instance=world.instance, raise_on_error=False
    )


def poll(world) -> dg.SensorResult:
    sensor = defs.resolve_sensor_def("google_drive_changes_sensor")
    with dg.build_sensor_context(instance=world.instance, definitions=defs, resources=defs.resources) as ctx:
        return sensor(ctx)


def stored_ciphertext(world) -> str:
    a = t.connector_accounts
    with world.store.engine.connect() as conn:
        row = conn.execute(sa.select(a).where(a.c.partition_key == world.key)).one()
    return row.credentials_ciphertext


def test_an_access_token_expired_mid_sync_is_refreshed_and_stored_encrypted(drive_world):
    store, state = drive_world.store, drive_world.state
    _, before = store.load_credentials(drive_world.key)
    state.expire_access_tokens(USER)  # the server no longer accepts the stored access token

    assert sync(drive_world).success

    _, after = store.load_credentials(drive_world.key)
    fresh = after.access_token.get_secret_value()
    assert fresh != before.access_token.get_secret_value()
    assert fresh not in stored_ciphertext(drive_world)  # persisted, and only encrypted
    assert store.count_documents(drive_world.key) > 0
    assert [r.status for r in state.requests_to("^/token$")][-1] == 200


def test_revoked_consent_stops_syncs_until_the_person_reconnects_then_resumes_from_the_cursor(drive_world):
    store, state = drive_world.store, drive_world.state
    assert sync(drive_world).success
    cursor = store.get_cursor(drive_world.key)
    revoke_consent(drive_world, USER)
    state.drive(USER).create_file("after-revoke.txt", None, "text/plain", b"written while revoked")

    failed = sync(drive_world)

    assert not failed.success
    assert not [e for e in failed.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    account = store.get_account(drive_world.key)
    assert account.status == "error" and "reconnect" in account.last_error
    [event] = [e for e in store.list_activity(limit=50) if e.event == "connector_sync_failed"]
    assert "reconnect" in str(event.context)
    assert store.get_cursor(drive_world.key) == cursor  # nothing advanced

    state.reset_requests()
    assert poll(drive_world).run_requests == []
    assert state.requests_to(CHANGES) == []  # an account in error is not even polled

    reconnect(drive_world)
    assert store.get_account(drive_world.key).status == "connected"
    [request] = poll(drive_world).run_requests
    assert request.partition_key == drive_world.key

    resumed = defs.resolve_job_def("google_drive_sync").execute_in_process(
        partition_key=drive_world.key, instance=drive_world.instance, tags=dict(request.tags)
    )

    assert resumed.success
    [job] = [j for j in store.list_jobs() if j.dagster_run_id == resumed.run_id]
    assert job.job_type == "incremental_sync" and job.counts["mode"] == "incremental"
    ingested = {item.name for item in store.load_items(drive_world.key, statuses=["synced"]).values()}
    assert "after-revoke.txt" in ingested
