"""The checks pass on a healthy vault and fail on a broken one; the blocking ones then stop the run."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg
import pytest
import sqlalchemy as sa

from connectors_pipeline.definitions import defs
from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.store.schema import utcnow
from connectors_pipeline_tests.pipeline.conftest import USER
from connectors_pipeline_tests.store.conftest import connect

VAULT = dg.AssetKey(["google_drive", "vault_items"])


def run_sync(world):
    return defs.resolve_job_def("google_drive_sync").execute_in_process(
        partition_key=world.key, instance=world.instance, raise_on_error=False
    )


def failed_checks(result) -> set[str]:
    return {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}


def evaluation(result, check_name: str) -> dg.AssetCheckEvaluation:
    (found,) = [e for e in result.get_asset_check_evaluations() if e.check_name == check_name]
    return found


def metadata(result, check_name: str) -> dict[str, object]:
    return {name: value.value for name, value in evaluation(result, check_name).metadata.items()}


def run_checks(world, *check_names: str, **kwargs):
    """Only the named checks on vault_items, for the world's account: nothing is synced."""
    return (
        defs.resolve_job_def("google_drive_sync")
        .get_subset(
            asset_check_selection={dg.AssetCheckKey(VAULT, name) for name in check_names}, asset_selection=set()
        )
        .execute_in_process(partition_key=world.key, instance=world.instance, **{"raise_on_error": False, **kwargs})
    )


def test_dedup_check_fails_on_a_repeated_version_and_fails_the_run(drive_world):
    assert run_sync(drive_world).success
    store = drive_world.store
    doc_id = next(i.vault_document_id for i in store.load_items(drive_world.key).values() if i.vault_document_id)
    with store.engine.begin() as conn:
        versions = sa.Table("vault_document_versions", sa.MetaData(), autoload_with=conn)
        latest = dict(
            conn.execute(
                sa.select(versions).where(versions.c.document_id == doc_id).order_by(versions.c.version_no.desc())
            )
            .mappings()
            .first()
        )
        latest.pop("id", None)
        conn.execute(sa.insert(versions).values(**{**latest, "version_no": latest["version_no"] + 1}))

    result = run_sync(drive_world)

    assert not result.success
    assert "no_duplicates" in failed_checks(result)


def test_dedup_check_fails_when_two_items_share_a_document(drive_world):
    assert run_sync(drive_world).success
    store = drive_world.store
    synced = [i for i in store.load_items(drive_world.key).values() if i.status == "synced"]
    items = sa.table("connector_items", sa.column("external_id"), sa.column("vault_document_id"))
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(items)
            .where(items.c.external_id == synced[1].external_id)
            .values(vault_document_id=synced[0].vault_document_id)
        )

    assert "no_duplicates" in failed_checks(run_sync(drive_world))


def test_policy_checks_fail_when_the_vault_holds_what_the_policy_now_forbids(drive_world, monkeypatch):
    assert run_sync(drive_world).success
    monkeypatch.setenv("ORG_CONNECTORS_ALLOWED_FILE_TYPES", "pdf")  # tightened after the sync

    result = (
        defs.resolve_job_def("google_drive_sync")
        .get_subset(
            asset_check_selection={dg.AssetCheckKey(dg.AssetKey(["google_drive", "vault_items"]), "policy_compliant")},
            asset_selection=set(),
        )
        .execute_in_process(partition_key=drive_world.key, instance=drive_world.instance, raise_on_error=False)
    )

    assert failed_checks(result) == {"policy_compliant"}


def test_fetched_content_check_blocks_ingest_of_what_the_policy_now_forbids(drive_world, connectors_env, monkeypatch):
    from connectors_pipeline.domain.policy import OrgPolicy
    from connectors_pipeline.store.blobs import BlobStore
    from connectors_pipeline.sync.export import export_pending
    from connectors_pipeline.sync.listing import refresh_listing
    from connectors_pipeline.sync.services import SyncServices

    services = SyncServices(store=drive_world.store, blobs=BlobStore(connectors_env.blob_root), policy=OrgPolicy())
    refresh_listing(services, drive_world.key)
    export_pending(services, drive_world.key)  # fetched, not yet ingested
    monkeypatch.setenv("ORG_CONNECTORS_MAX_FILE_SIZE_MB", "0.001")  # about 1 KB: most fetched files now too large

    check = dg.AssetCheckKey(dg.AssetKey(["google_drive", "exported_documents"]), "fetched_content_allowed")
    result = (
        defs.resolve_job_def("google_drive_sync")
        .get_subset(asset_check_selection={check}, asset_selection=set())
        .execute_in_process(partition_key=drive_world.key, instance=drive_world.instance, raise_on_error=False)
    )

    assert failed_checks(result) == {"fetched_content_allowed"}


def test_coverage_and_freshness_pass_after_a_healthy_sync(drive_world):
    result = run_sync(drive_world)

    assert result.success
    assert evaluation(result, "coverage").passed and evaluation(result, "freshness").passed
    coverage = metadata(result, "coverage")
    assert coverage["uncovered_items"] == 0
    assert coverage["allowed_items"] == coverage["live_documents"] == drive_world.store.count_documents(drive_world.key)
    freshness = metadata(result, "freshness")
    assert freshness["window_hours"] == 24 and freshness["age_hours"] < 0.1
    assert freshness["last_synced_at"] == drive_world.store.get_account(drive_world.key).last_sync_at.timestamp()


def test_coverage_fails_without_failing_the_run_while_a_new_file_cannot_be_fetched(drive_world):
    assert run_sync(drive_world).success
    new_id = drive_world.state.drive(USER).create_file("late.txt", None, "text/plain", b"added after the first sync")
    drive_world.state.inject_fault(rf"/files/{new_id}", 503, times=1000)

    result = run_sync(drive_world)

    assert result.success, "a transient fetch error is retried by the next sync, not a failed run"
    coverage = evaluation(result, "coverage")
    assert not coverage.passed and coverage.severity == dg.AssetCheckSeverity.ERROR
    assert metadata(result, "coverage")["uncovered_by_status"] == {"error": 1}
    assert metadata(result, "coverage")["uncovered_item_ids"] == [new_id]
    assert "the next sync retries it" in coverage.description

    drive_world.state.clear_faults()
    assert evaluation(run_sync(drive_world), "coverage").passed


def test_coverage_fails_when_a_document_is_removed_behind_the_pipelines_back(drive_world):
    assert run_sync(drive_world).success
    store = drive_world.store
    gone = next(i for i in store.load_items(drive_world.key).values() if i.status == "synced")
    documents = sa.table("vault_documents", sa.column("id"), sa.column("deleted_at"))
    with store.engine.begin() as conn:
        conn.execute(sa.update(documents).where(documents.c.id == gone.vault_document_id).values(deleted_at=utcnow()))

    result = run_checks(drive_world, "coverage", "no_duplicates")

    assert failed_checks(result) == {"coverage"}
    assert metadata(result, "coverage")["uncovered_by_status"] == {"synced": 1}
    assert metadata(result, "coverage")["uncovered_item_ids"] == [gone.external_id]
    assert "removed outside the pipeline" in evaluation(result, "coverage").description


def test_a_live_document_of_a_skipped_item_fails_no_duplicates_not_coverage(drive_world):
    assert run_sync(drive_world).success
    store = drive_world.store
    synced = next(i for i in store.load_items(drive_world.key).values() if i.status == "synced")
    items = sa.table("connector_items", sa.column("external_id"), sa.column("status"))
    with store.engine.begin() as conn:  # skipped without retiring its document: what a bug would leave
        conn.execute(sa.update(items).where(items.c.external_id == synced.external_id).values(status="skipped"))

    result = run_checks(drive_world, "coverage", "no_duplicates")

    assert failed_checks(result) == {"no_duplicates"}
    coverage = metadata(result, "coverage")
    assert coverage["live_documents_without_allowed_item"] == 1
    assert "no_duplicates fails on them" in coverage["note"]


def set_last_sync(world, when) -> None:
    accounts = sa.table("connector_accounts", sa.column("partition_key"), sa.column("last_sync_at"))
    with world.store.engine.begin() as conn:
        conn.execute(sa.update(accounts).where(accounts.c.partition_key == world.key).values(last_sync_at=when))


def test_freshness_fails_when_the_last_sync_is_older_than_the_window_and_passes_after_a_sync(drive_world, monkeypatch):
    assert run_sync(drive_world).success
    set_last_sync(drive_world, utcnow() - timedelta(hours=30))

    stale = run_checks(drive_world, "freshness")

    assert stale.success, "freshness is not blocking: a stale account fails its check, not the run"
    assert failed_checks(stale) == {"freshness"}
    assert metadata(stale, "freshness")["reason"] == "stale"
    assert 29.9 < metadata(stale, "freshness")["age_hours"] < 30.1

    monkeypatch.setenv("CONNECTORS_FRESHNESS_HOURS", "48")
    assert evaluation(run_checks(drive_world, "freshness"), "freshness").passed

    monkeypatch.delenv("CONNECTORS_FRESHNESS_HOURS")
    assert evaluation(run_sync(drive_world), "freshness").passed


def test_freshness_fails_for_an_account_whose_consent_is_gone(drive_world):
    assert run_sync(drive_world).success
    drive_world.store.set_account_status(
        drive_world.key, "error", error="file_listing: AuthRevokedError: invalid_grant"
    )

    result = run_checks(drive_world, "freshness")

    assert failed_checks(result) == {"freshness"}
    assert metadata(result, "freshness")["reason"] == "consent_gone"
    assert "invalid_grant" in evaluation(result, "freshness").description


def test_an_invalid_freshness_window_stops_the_check_with_a_clear_error(drive_world, monkeypatch):
    monkeypatch.setenv("CONNECTORS_FRESHNESS_HOURS", "a day")

    with pytest.raises(ConfigurationError, match="CONNECTORS_FRESHNESS_HOURS must be a number of hours"):
        run_checks(drive_world, "freshness", raise_on_error=True)


def test_a_run_over_several_accounts_records_each_accounts_own_result(drive_world):
    assert run_sync(drive_world).success
    store = drive_world.store
    empty = connect(store, "nothing-listed-yet").partition_key
    drive_world.instance.add_dynamic_partitions("google_drive_accounts", [empty])
    gone = next(i for i in store.load_items(drive_world.key).values() if i.status == "synced")
    documents = sa.table("vault_documents", sa.column("id"), sa.column("deleted_at"))
    with store.engine.begin() as conn:
        conn.execute(sa.update(documents).where(documents.c.id == gone.vault_document_id).values(deleted_at=utcnow()))

    result = (
        defs.resolve_job_def("google_drive_sync")
        .get_subset(asset_check_selection={dg.AssetCheckKey(VAULT, "coverage")}, asset_selection=set())
        .execute_in_process(
            instance=drive_world.instance,
            tags={"dagster/asset_partition_range_start": drive_world.key, "dagster/asset_partition_range_end": empty},
        )
    )

    by_account = {e.partition: e for e in result.get_asset_check_evaluations()}
    assert {key: e.passed for key, e in by_account.items()} == {drive_world.key: False, empty: True, None: False}
    assert by_account[drive_world.key].metadata["uncovered_item_ids"].value == [gone.external_id]
    summary = by_account[None].metadata
    assert (summary["accounts_checked"].value, summary["failed_accounts"].value) == (2, [drive_world.key])
    assert summary["uncovered_by_status"].value == {"synced": 1}
