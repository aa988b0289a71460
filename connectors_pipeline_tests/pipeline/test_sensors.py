"""The accounts sensor keeps partitions equal to connected accounts and requests initial syncs."""

from __future__ import annotations

import time

import dagster as dg

from connectors_pipeline.cli.dagster_runs import apply_accounts_sensor
from connectors_pipeline.definitions import defs

SENSOR = "google_drive_accounts_sensor"


def evaluate(instance):
    sensor = defs.resolve_sensor_def(SENSOR)
    with dg.build_sensor_context(instance=instance, definitions=defs, resources=defs.resources) as context:
        return sensor(context)


def test_new_account_gets_a_partition_and_its_initial_sync(drive_world):
    with dg.instance_for_test() as instance:
        result = evaluate(instance)

        assert [r.partition_key for r in result.run_requests] == [drive_world.key]
        assert result.run_requests[0].run_key.startswith(f"initial-sync:{drive_world.key}:")
        assert result.dynamic_partitions_requests[0].partition_keys == [drive_world.key]

        apply_accounts_sensor(instance, defs, "google_drive")
        assert evaluate(instance).run_requests == []


def test_disconnected_account_loses_its_partition(drive_world):
    drive_world.store.disconnect_account(drive_world.key)

    result = evaluate(drive_world.instance)

    assert result.run_requests == []
    delete = [r for r in result.dynamic_partitions_requests if isinstance(r, dg.DeleteDynamicPartitionsRequest)]
    assert delete[0].partition_keys == [drive_world.key]


def test_partition_keys_are_opaque_and_safe(drive_world):
    key = drive_world.key
    assert "@" not in key and "," not in key and "|" not in key and "..." not in key and " " not in key
    assert drive_world.account.email not in key


def test_a_reconnected_account_gets_a_new_initial_sync(drive_world):
    from connectors_pipeline.connect import connect_account, remove_account
    from connectors_pipeline.domain.policy import OrgPolicy
    from connectors_pipeline.sandbox import sandbox_client_config
    from connectors_pipeline_tests.pipeline.conftest import USER

    with dg.instance_for_test() as instance:
        first = evaluate(instance).run_requests[0].run_key
        apply_accounts_sensor(instance, defs, "google_drive")
        remove_account(drive_world.store, drive_world.key)
        apply_accounts_sensor(instance, defs, "google_drive")
        time.sleep(1.1)  # connection times have second resolution
        connect_account(
            drive_world.store,
            OrgPolicy(),
            "google_drive",
            sandbox_client_config(drive_world.server.url),
            mode="sandbox",
            login_hint=USER,
        )

        (again,) = evaluate(instance).run_requests

    assert again.partition_key == drive_world.key and again.run_key != first
