"""The production Dagster instance (deploy/dagster-postgres.yaml) on PostgreSQL: it loads from the
environment, keeps the project's limits, and a sync run through it is recorded in PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from connectors_pipeline.definitions import defs
from connectors_pipeline_tests.pipeline.conftest import DriveWorld
from connectors_pipeline_tests.postgres import temporary_postgres_database

ROOT = Path(__file__).resolve().parents[2]
INSTANCE_FILE = ROOT / "deploy" / "dagster-postgres.yaml"
STEPS = ("file_listing", "exported_documents", "vault_items")

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url() -> Iterator[str]:
    """One fresh database for the store and Dagster's storage alike (the store keeps its own Alembic
    version table, so the two schemas can share it); overrides the SQLite/PostgreSQL pair in conftest."""
    with temporary_postgres_database("connectors_dagster") as url:
        yield url


@pytest.fixture
def postgres_instance(tmp_path, monkeypatch, database_url: str) -> Iterator[dg.DagsterInstance]:
    """deploy/dagster-postgres.yaml as $DAGSTER_HOME/dagster.yaml, DAGSTER_PG_* pointing at the database."""
    url = sa.make_url(database_url)
    monkeypatch.setenv("DAGSTER_PG_HOST", url.host or "127.0.0.1")
    monkeypatch.setenv("DAGSTER_PG_PORT", str(url.port or 5432))
    monkeypatch.setenv("DAGSTER_PG_USER", url.username or "postgres")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", url.password or "")
    monkeypatch.setenv("DAGSTER_PG_DB", url.database or "")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(INSTANCE_FILE, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def test_postgres_instance_stores_runs_events_and_schedules_in_postgres_behind_a_queue(postgres_instance):
    assert isinstance(postgres_instance.run_storage, PostgresRunStorage)
    assert isinstance(postgres_instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(postgres_instance.schedule_storage, PostgresScheduleStorage)
    assert isinstance(postgres_instance.run_coordinator, QueuedRunCoordinator)


def test_postgres_instance_keeps_the_limits_of_the_embedded_default(postgres_instance, tmp_path):
    (tmp_path / "embedded").mkdir()
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "embedded" / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path / "embedded")) as embedded:
        for instance in (postgres_instance, embedded):
            concurrency = instance.get_concurrency_config()
            assert concurrency.pool_config.default_pool_limit == 2
            assert concurrency.run_queue_config is not None
            assert concurrency.run_queue_config.max_concurrent_runs == 4
            assert instance.get_settings("sensors") == {"use_threads": True, "num_workers": 4}
            assert instance.run_retries_enabled and instance.run_retries_max_retries == 2


def test_sync_run_through_the_postgres_instance_is_recorded_there(postgres_instance, drive_world: DriveWorld):
    postgres_instance.add_dynamic_partitions("google_drive_accounts", [drive_world.key])
    job = defs.resolve_job_def("google_drive_sync")

    result = job.execute_in_process(partition_key=drive_world.key, instance=postgres_instance)

    assert result.success
    assert drive_world.store.count_documents(drive_world.key) > 0
    # Read back from PostgreSQL, not from the in-memory result.
    (record,) = postgres_instance.run_storage.get_run_records(dg.RunsFilter(run_ids=[result.run_id]))
    assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    assert record.dagster_run.tags["dagster/partition"] == drive_world.key
    materialized = {
        r.event_log_entry.dagster_event.asset_key.to_user_string()
        for r in postgres_instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
    }
    assert materialized == {f"google_drive/{step}" for step in STEPS}
    latest = postgres_instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(["google_drive", "vault_items"]), asset_partitions=[drive_world.key]
        ),
        limit=1,
    ).records
    assert latest and latest[0].run_id == result.run_id
    # Every step claimed a slot of the provider's pool, created with the configured default limit.
    pool = postgres_instance.event_log_storage.get_concurrency_info("google_drive_api")
    assert pool.slot_count == 2 and pool.using_default_limit
    assert not pool.claimed_slots
