"""A Drive sync with its blobs in an object store (fsspec memory://) fills the vault as a local store does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import fsspec
import pytest

from connectors_pipeline.connect import connect_account
from connectors_pipeline.definitions import defs
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.sandbox import sandbox_client_config
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import Store
from connectors_pipeline.store.cipher import resolve_keyring
from connectors_pipeline_tests.pipeline.conftest import USER
from connectors_pipeline_tests.pipeline.ground_truth import actual_by_id, expected_by_id


@pytest.fixture
def database_url() -> Iterator[None]:
    """SQLite under each CONNECTORS_HOME, so the local comparison run gets a vault of its own."""
    yield None


@pytest.fixture
def memory_url() -> Iterator[str]:
    url = f"memory://vault-blobs-{uuid.uuid4().hex}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


def run_sync(key: str, instance) -> None:  # type: ignore[no-untyped-def]
    result = defs.resolve_job_def("google_drive_sync").execute_in_process(partition_key=key, instance=instance)
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())


def vault(store: Store, key: str) -> dict[str, tuple]:
    """What a person sees per item: its outcome and, when ingested, the document's title, paths and text."""
    view = {}
    for external_id, item in store.load_items(key).items():
        doc = store.get_document(item.vault_document_id) if item.vault_document_id else None
        content = (doc.title, doc.paths, doc.text, doc.content_hash, doc.blob_sha256) if doc else None
        view[external_id] = (item.status, item.skip_reason, content)
    return view


def test_drive_sync_through_a_memory_url_fills_the_vault_as_a_local_store_does(
    drive_world, memory_url, monkeypatch, tmp_path
):
    monkeypatch.setenv("CONNECTORS_BLOB_URL", memory_url)
    run_sync(drive_world.key, drive_world.instance)

    assert actual_by_id(drive_world.store, drive_world.key) == expected_by_id(
        drive_world.corpus, drive_world.ids, OrgPolicy()
    )
    remote_vault = vault(drive_world.store, drive_world.key)
    blobs = {content[4] for _, _, content in remote_vault.values() if content}
    objects = {name.rsplit("/", 1)[-1] for name in fsspec.filesystem("memory").find(memory_url)}
    assert blobs and blobs <= objects, "every document's bytes are in the object store"
    assert not Settings.from_env().blob_root.exists(), "nothing went to the local blob folder"

    # The same account synced again into a fresh home with the default local store.
    monkeypatch.delenv("CONNECTORS_BLOB_URL")
    monkeypatch.setenv("CONNECTORS_HOME", str(tmp_path / "local-home"))
    settings = Settings.from_env()
    settings.home.mkdir()
    local_store = Store.open(settings.database_url, resolve_keyring(settings, allow_demo_key=False))
    try:
        client = sandbox_client_config(drive_world.server.url)
        account = connect_account(local_store, OrgPolicy(), "google_drive", client, mode="sandbox", login_hint=USER)
        assert account.partition_key == drive_world.key
        run_sync(account.partition_key, drive_world.instance)
        assert vault(local_store, account.partition_key) == remote_vault
    finally:
        local_store.dispose()
