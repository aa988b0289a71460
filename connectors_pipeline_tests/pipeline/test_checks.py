"""The blocking checks fail when the vault is wrong, and then stop the run."""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from connectors_pipeline.definitions import defs


def run_sync(world):
    return defs.resolve_job_def("google_drive_sync").execute_in_process(
        partition_key=world.key, instance=world.instance, raise_on_error=False
    )


def failed_checks(result) -> set[str]:
    return {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}


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
        defs.resolve_implicit_global_asset_job_def()
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
        defs.resolve_implicit_global_asset_job_def()
        .get_subset(asset_check_selection={check}, asset_selection=set())
        .execute_in_process(partition_key=drive_world.key, instance=drive_world.instance, raise_on_error=False)
    )

    assert failed_checks(result) == {"fetched_content_allowed"}
