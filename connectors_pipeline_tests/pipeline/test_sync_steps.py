"""The sync steps against sandbox mutations: edits, edits without text change, trash, deletion mid-sync."""

from __future__ import annotations

import pytest

from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.store.blobs import BlobStore
from connectors_pipeline.sync.export import export_pending
from connectors_pipeline.sync.ingest import ingest_fetched
from connectors_pipeline.sync.listing import refresh_listing
from connectors_pipeline.sync.services import SyncServices
from connectors_pipeline_tests.pipeline.conftest import USER


@pytest.fixture
def services(drive_world, connectors_env) -> SyncServices:
    return SyncServices(store=drive_world.store, blobs=BlobStore(connectors_env.blob_root), policy=OrgPolicy())


def sync(services: SyncServices, key: str) -> None:
    refresh_listing(services, key)
    export_pending(services, key)
    ingest_fetched(services, key)


def markdown_file(world) -> tuple[str, bytes]:
    index = next(i for i, e in enumerate(world.corpus) if e.label == "markdown")
    return world.ids[index], world.corpus[index].content


def document_of(world, external_id: str):
    item = world.store.load_items(world.key)[external_id]
    return world.store.get_document(item.vault_document_id)


def test_content_edit_adds_a_version_and_an_edit_without_text_change_adds_none(drive_world, services):
    sync(services, drive_world.key)
    file_id, content = markdown_file(drive_world)
    drive = drive_world.state.drive(USER)

    drive.update_content(file_id, content=content + b"\n\nA new closing paragraph.\n")
    sync(services, drive_world.key)
    edited = document_of(drive_world, file_id)
    drive.update_content(file_id, content=content + b"\n\nA new closing paragraph.\n\n\n   \n")  # same normalized text
    sync(services, drive_world.key)

    assert [v.version_no for v in drive_world.store.list_versions(edited.id)] == [1, 2]
    assert "A new closing paragraph." in edited.text
    assert document_of(drive_world, file_id).provider_version != edited.provider_version


def test_trashed_file_leaves_the_vault_with_reason_and_returns_when_untrashed(drive_world, services):
    sync(services, drive_world.key)
    file_id, _ = markdown_file(drive_world)
    drive = drive_world.state.drive(USER)

    drive.trash(file_id)
    sync(services, drive_world.key)
    trashed = document_of(drive_world, file_id)
    hits = [h.document_id for h in drive_world.store.search(trashed.text.split()[-1].strip(".,"))]
    drive.untrash(file_id)
    sync(services, drive_world.key)

    assert trashed.deleted_reason == "trashed" and trashed.id not in hits
    restored = document_of(drive_world, file_id)
    assert restored.deleted_at is None and restored.id == trashed.id
    assert len(drive_world.store.list_versions(restored.id)) == 1, "same text: restored, not re-versioned"


def test_file_deleted_between_listing_and_fetch_leaves_the_vault_with_reason(drive_world, services):
    sync(services, drive_world.key)
    file_id, content = markdown_file(drive_world)
    drive = drive_world.state.drive(USER)
    drive.update_content(file_id, content=content + b"\nedited\n")
    refresh_listing(services, drive_world.key)

    drive.delete(file_id)
    export_pending(services, drive_world.key)
    ingest_fetched(services, drive_world.key)

    item = drive_world.store.load_items(drive_world.key)[file_id]
    assert (item.status, item.skip_reason) == ("skipped", "not_found")
    assert document_of(drive_world, file_id).deleted_reason == "not_found"
    assert drive_world.store.find_orphan_documents(drive_world.key) == []

    sync(services, drive_world.key)  # the next snapshot no longer lists it: deleted, and it stays so
    assert drive_world.store.load_items(drive_world.key)[file_id].status == "deleted"


def test_permanently_deleted_file_is_marked_deleted_on_the_next_sync(drive_world, services):
    sync(services, drive_world.key)
    file_id, _ = markdown_file(drive_world)

    drive_world.state.drive(USER).delete(file_id)
    sync(services, drive_world.key)

    assert document_of(drive_world, file_id).deleted_reason == "deleted"
    assert drive_world.store.load_items(drive_world.key)[file_id].status == "deleted"


def folder_id(world, name: str, parent_id: str) -> str:
    drive = world.state.drive(USER)
    return next(
        f.id for f in drive.visible_files() if f.name == name and f.parent_id == parent_id and "folder" in f.mime_type
    )


def test_registered_folders_sync_only_their_scope_each_with_its_own_recursion(drive_world, services):
    drive = drive_world.state.drive(USER)
    projects = folder_id(drive_world, "Projects", drive.root_id)
    finance = folder_id(drive_world, "Finance", drive.root_id)
    drive_world.store.add_source(drive_world.key, kind="folder", external_id=projects, name="Projects", recursive=True)
    drive_world.store.add_source(drive_world.key, kind="folder", external_id=finance, name="Finance", recursive=False)

    sync(services, drive_world.key)

    folders = {
        tuple(p.strip("/").split("/")[:-1])
        for i in drive_world.store.load_items(drive_world.key).values()
        for p in i.paths
    }
    expected = {e.folder for e in drive_world.corpus if e.folder[:1] == ("Projects",) or e.folder == ("Finance",)}
    assert folders == expected
    assert ("Projects", "Alpha", "Notes") in folders and ("Finance", "2024") not in folders


def test_renamed_folder_updates_paths_without_download_or_new_version(drive_world, services):
    sync(services, drive_world.key)
    drive = drive_world.state.drive(USER)
    versions = drive_world.store.count_versions(drive_world.key)
    drive.rename(folder_id(drive_world, "Projects", drive.root_id), "Programmes")
    drive_world.state.reset_requests()

    sync(services, drive_world.key)

    fetches = [r for r in drive_world.state.requests if r.query.get("alt") == "media" or r.path.endswith("/export")]
    assert fetches == []
    assert drive_world.store.count_versions(drive_world.key) == versions
    docs = [
        document_of(drive_world, i.external_id)
        for i in drive_world.store.load_items(drive_world.key).values()
        if i.status == "synced"
    ]
    assert not [d for d in docs if d.path.startswith("/Projects/")]
    assert [d for d in docs if d.path.startswith("/Programmes/Alpha/")]
