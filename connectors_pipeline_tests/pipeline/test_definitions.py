"""The code location loads, and its shape is what a Dagster user expects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg

from connectors_pipeline.definitions import defs

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_are_loadable():
    dg.Definitions.validate_loadable(defs)


def test_each_provider_has_three_partitioned_assets_a_job_and_an_accounts_sensor():
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert {
        "google_drive/file_listing",
        "google_drive/exported_documents",
        "google_drive/vault_items",
    } <= keys
    job = defs.resolve_job_def("google_drive_sync")
    assert job.partitions_def == dg.DynamicPartitionsDefinition(name="google_drive_accounts")
    assert defs.resolve_sensor_def("google_drive_accounts_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_sensor_def("google_drive_changes_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_schedule_def("google_drive_reconciliation").default_status == dg.DefaultScheduleStatus.RUNNING
    # A run retry lists and fetches again instead of resuming at the failed step (which would commit
    # the cursor of an account whose listing or export had failed).
    assert job.tags["dagster/retry_strategy"] == "ALL_STEPS"


def test_dagster_cli_validates_the_workspace():
    completed = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", str(ROOT / "workspace.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]


def test_project_instance_yaml_loads(tmp_path):
    (tmp_path / "dagster.yaml").write_bytes((ROOT / "dagster.yaml").read_bytes())
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_coordinator is not None
