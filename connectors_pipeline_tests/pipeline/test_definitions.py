"""The code location loads, and its shape is what a Dagster user expects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from connectors_pipeline.definitions import defs
from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.providers.registry import enabled_providers, provider_info

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_are_loadable():
    dg.Definitions.validate_loadable(defs)


@pytest.mark.parametrize("name", ["google_drive", "notion", "gmail"])
def test_each_provider_has_three_partitioned_assets_a_job_and_an_accounts_sensor(name):
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert {f"{name}/file_listing", f"{name}/exported_documents", f"{name}/vault_items"} <= keys
    job = defs.resolve_job_def(f"{name}_sync")
    assert job.partitions_def == dg.DynamicPartitionsDefinition(name=f"{name}_accounts")
    assert defs.resolve_sensor_def(f"{name}_accounts_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_sensor_def(f"{name}_changes_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_schedule_def(f"{name}_reconciliation").default_status == dg.DefaultScheduleStatus.RUNNING
    # A run retry lists and fetches again instead of resuming at the failed step (which would commit
    # the cursor of an account whose listing or export had failed).
    assert job.tags["dagster/retry_strategy"] == "ALL_STEPS"


def test_gmail_stays_out_of_the_code_location_without_its_feature_flag(monkeypatch):
    assert set(enabled_providers({})) == {"google_drive", "notion"}
    assert set(enabled_providers({"CONNECTORS_GMAIL_ENABLED": "1"})) == {"google_drive", "notion", "gmail"}
    monkeypatch.delenv("CONNECTORS_GMAIL_ENABLED")
    with pytest.raises(ConfigurationError, match="CONNECTORS_GMAIL_ENABLED=1"):
        provider_info("gmail")


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


def test_project_instance_yaml_limits_each_provider_pool_the_way_dagster_reads_it(tmp_path):
    (tmp_path / "dagster.yaml").write_bytes((ROOT / "dagster.yaml").read_bytes())
    graph = defs.resolve_asset_graph()
    pools = {pool for key in graph.get_all_asset_keys() for pool in graph.get(key).pools or ()}
    assert pools == {f"{name}_api" for name in enabled_providers()}
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        concurrency = instance.get_concurrency_config()
        assert concurrency.pool_config.default_pool_limit == 2
        assert concurrency.run_queue_config is not None
        assert concurrency.run_queue_config.max_concurrent_runs == 4
        assert instance.get_settings("sensors") == {"use_threads": True, "num_workers": 4}
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
        # A step's first claim on a pool without a limit gives it the default (what Dagster calls).
        storage = instance.event_log_storage
        for pool in sorted(pools):
            storage.initialize_concurrency_limit_to_default(pool)
        limits = {limit.name: (limit.limit, limit.from_default) for limit in storage.get_pool_limits()}
        assert limits == {pool: (2, True) for pool in pools}
        # `dagster instance concurrency set notion_api 1` stores a limit of the pool's own, no longer
        # marked as the default, which is what makes later claims leave it alone.
        storage.set_concurrency_slots("notion_api", 1)
        limits = {limit.name: (limit.limit, limit.from_default) for limit in storage.get_pool_limits()}
        assert limits["notion_api"] == (1, False)
