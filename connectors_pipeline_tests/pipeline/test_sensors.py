"""The accounts sensor keeps partitions equal to the accounts and requests one initial sync per connection."""

from __future__ import annotations

import dagster as dg

from connectors_pipeline.cli.dagster_runs import apply_accounts_sensor
from connectors_pipeline.connect import connect_account, remove_account
from connectors_pipeline.definitions import defs
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.sandbox import sandbox_client_config
from connectors_pipeline_tests.pipeline.conftest import USER

SENSOR = "google_drive_accounts_sensor"


def evaluate(instance, cursor: str | None = None) -> dg.SensorResult:
    sensor = defs.resolve_sensor_def(SENSOR)
    with dg.build_sensor_context(instance=instance, definitions=defs, resources=defs.resources, cursor=cursor) as ctx:
        return sensor(ctx)


def reconnect(world) -> None:
    connect_account(
        world.store,
        OrgPolicy(),
        "google_drive",
        sandbox_client_config(world.server.url),
        mode="sandbox",
        login_hint=USER,
    )


def test_new_account_gets_a_partition_and_its_initial_sync_once(drive_world):
    with dg.instance_for_test() as instance:
        first = evaluate(instance)

        assert [r.partition_key for r in first.run_requests] == [drive_world.key]
        assert first.run_requests[0].run_key.startswith(f"initial-sync:{drive_world.key}:")
        assert first.dynamic_partitions_requests[0].partition_keys == [drive_world.key]

        apply_accounts_sensor(instance, defs, "google_drive")
        again = evaluate(instance, first.cursor)
        assert again.run_requests == [] and again.skip_reason


def test_disconnected_account_loses_its_partition(drive_world):
    drive_world.store.disconnect_account(drive_world.key)

    result = evaluate(drive_world.instance)

    assert result.run_requests == []
    delete = [r for r in result.dynamic_partitions_requests if isinstance(r, dg.DeleteDynamicPartitionsRequest)]
    assert delete[0].partition_keys == [drive_world.key]


def test_a_reconnect_between_two_ticks_gets_a_new_initial_sync(drive_world):
    first = evaluate(drive_world.instance)
    remove_account(drive_world.store, drive_world.key)
    reconnect(drive_world)  # the sensor never saw the removal

    (again,) = evaluate(drive_world.instance, first.cursor).run_requests

    assert again.partition_key == drive_world.key
    assert again.run_key != first.run_requests[0].run_key


def test_an_account_whose_consent_is_gone_keeps_its_partition_but_gets_no_run(drive_world):
    drive_world.store.set_account_status(drive_world.key, "error", error="invalid_grant")

    result = evaluate(drive_world.instance)

    deletes = [
        r
        for r in result.dynamic_partitions_requests or []
        if isinstance(r, dg.DeleteDynamicPartitionsRequest) and r.partition_keys
    ]
    assert (result.run_requests or []) == [] and deletes == []


def test_partition_keys_are_opaque_and_safe(drive_world):
    key = drive_world.key
    assert "@" not in key and "," not in key and "|" not in key and "..." not in key and " " not in key
    assert drive_world.account.email not in key


def test_accounts_connected_together_get_their_initial_sync_in_one_run(drive_world):
    from connectors_pipeline.defs.batching import RANGE_END, RANGE_START

    others = ["bea@example.com", "cyd@example.com"]
    for email in others:
        drive_world.state.add_user(email)
        drive_world.state.drive(email).create_file("hello.txt", None, "text/plain", f"hello {email}".encode())
        connect_account(
            drive_world.store,
            OrgPolicy(),
            "google_drive",
            sandbox_client_config(drive_world.server.url),
            mode="sandbox",
            login_hint=email,
        )
    keys = sorted(a.partition_key for a in drive_world.store.list_accounts(provider="google_drive"))
    with dg.instance_for_test() as instance:
        result = evaluate(instance)
        [request] = result.run_requests
        assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (keys[0], keys[-1])

        apply_accounts_sensor(instance, defs, "google_drive")
        run = defs.resolve_job_def("google_drive_sync").execute_in_process(instance=instance, tags=request.tags)

    assert run.success
    assert all(drive_world.store.get_account(key).last_sync_at is not None for key in keys)
