"""The vault: ingest outcomes, versions only on content changes, soft deletion with a reason, restore."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from connectors_pipeline.domain.items import RemovalReason
from connectors_pipeline.store import ItemNotFound, Store
from connectors_pipeline.store.schema import metadata
from connectors_pipeline_tests.store.conftest import connect, utc
from connectors_pipeline_tests.store.test_items import remote


def ingest(store: Store, key: str, external_id: str, text: str, **overrides: Any) -> str:
    values: dict[str, Any] = dict(
        title=f"{external_id} title",
        path=f"/Projects/{external_id}",
        paths=[f"/Projects/{external_id}"],
        mime_type="application/vnd.google-apps.document",
        content_mime="text/markdown",
        size_bytes=len(text),
        text=text,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        blob_sha256=hashlib.sha256(b"blob" + text.encode()).hexdigest(),
        provider_version="1",
        modified_time=utc(2024, 5, 1),
        provenance={"method": "export", "source_mime": "application/vnd.google-apps.document"},
    )
    values.update(overrides)
    return store.record_ingest(key, external_id, **values)


@pytest.fixture
def key(store: Store, account) -> str:
    store.save_remote_items(account.partition_key, [remote("doc-1"), remote("doc-2")])
    return account.partition_key


def document_id(store: Store, key: str, external_id: str) -> int:
    doc_id = store.load_items(key)[external_id].vault_document_id
    assert doc_id is not None
    return doc_id


def test_ingest_outcomes_and_versions_grow_only_on_content_changes(store: Store, key: str):
    assert ingest(store, key, "doc-1", "first text") == "created"
    assert store.count_versions(key) == 1
    assert ingest(store, key, "doc-1", "first text") == "unchanged"
    assert ingest(store, key, "doc-1", "first text", title="Renamed", provider_version="2") == "unchanged"
    assert store.count_versions(key) == 1
    assert ingest(store, key, "doc-1", "second text", provider_version="3") == "updated"
    assert store.count_versions(key) == 2

    doc = store.get_document(document_id(store, key, "doc-1"))
    assert (doc.title, doc.text, doc.current_version, doc.provider_version) == (
        "doc-1 title",
        "second text",
        2,
        "3",
    )
    assert doc.partition_key == key and doc.provider == "google_drive" and doc.is_live
    versions = store.list_versions(doc.id)
    assert [(v.version_no, v.text) for v in versions] == [(1, "first text"), (2, "second text")]
    item = store.load_items(key)["doc-1"]
    assert (item.status, item.synced_version, item.vault_document_id) == ("synced", "3", doc.id)


def test_unchanged_ingest_refreshes_metadata(store: Store, key: str):
    ingest(store, key, "doc-1", "text")
    ingest(store, key, "doc-1", "text", title="New title", path="/Moved/doc-1", paths=["/Moved/doc-1"])
    doc = store.get_document(document_id(store, key, "doc-1"))
    assert (doc.title, doc.path, doc.paths, doc.current_version) == (
        "New title",
        "/Moved/doc-1",
        ("/Moved/doc-1",),
        1,
    )


def test_events_for_ingest_update_restore_but_not_unchanged(store: Store, key: str):
    ingest(store, key, "doc-1", "a")
    ingest(store, key, "doc-1", "a")
    ingest(store, key, "doc-1", "b")
    store.record_removal(key, "doc-1", RemovalReason.TRASHED)
    ingest(store, key, "doc-1", "b")
    events = [e.event for e in reversed(store.list_activity(partition_key=key)) if e.event.startswith("item_")]
    assert events == ["item_ingested", "item_updated", "item_deleted", "item_restored"]


def test_record_removal_keeps_the_document_with_a_reason_and_is_idempotent(store: Store, key: str):
    ingest(store, key, "doc-1", "the quarterly budget")
    doc_id = document_id(store, key, "doc-1")
    assert store.search("quarterly", partition_key=key)

    assert store.record_removal(key, "doc-1", RemovalReason.ACCESS_LOST) is True
    assert store.record_removal(key, "doc-1", RemovalReason.ACCESS_LOST) is False

    doc = store.get_document(doc_id)
    assert doc.deleted_at is not None and doc.deleted_at.tzinfo is not None
    assert doc.deleted_reason == "access_lost" and not doc.is_live
    assert store.load_items(key)["doc-1"].status == "deleted"
    assert store.search("quarterly", partition_key=key) == []
    assert store.count_documents(key) == 0
    assert store.count_documents(key, live_only=False) == 1
    deleted = [e for e in store.list_activity(partition_key=key) if e.event == "item_deleted"]
    assert len(deleted) == 1 and deleted[0].context["reason"] == "access_lost"


def test_removal_of_an_item_never_ingested_or_unknown(store: Store, key: str):
    assert store.record_removal(key, "doc-2", RemovalReason.DELETED) is True  # item only, no document
    assert store.record_removal(key, "doc-2", RemovalReason.DELETED) is False
    assert store.record_removal(key, "never-seen", RemovalReason.DELETED) is False


def test_restore_after_removal(store: Store, key: str):
    ingest(store, key, "doc-1", "text")
    store.record_removal(key, "doc-1", RemovalReason.TRASHED)

    assert ingest(store, key, "doc-1", "text") == "restored"
    doc = store.get_document(document_id(store, key, "doc-1"))
    assert doc.deleted_at is None and doc.deleted_reason is None and doc.current_version == 1
    assert store.count_versions(key) == 1
    assert store.search("text", partition_key=key)
    # Restored with new content: one more version.
    store.record_removal(key, "doc-1", RemovalReason.TRASHED)
    assert ingest(store, key, "doc-1", "changed while away") == "restored"
    assert store.count_versions(key) == 2


def test_ingest_is_one_transaction(store: Store, key: str):
    with pytest.raises(ItemNotFound):
        ingest(store, key, "not-listed", "text")
    assert store.count_documents(key, live_only=False) == 0
    # A failure half-way (a naive datetime is refused when bound) rolls everything back.
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        ingest(store, key, "doc-1", "text", modified_time=utc(2024, 1, 1).replace(tzinfo=None))
    assert store.count_documents(key, live_only=False) == 0
    assert store.load_items(key)["doc-1"].status == "pending"


def test_documents_are_per_account(store: Store, key: str):
    other = connect(store, "other")
    store.save_remote_items(other.partition_key, [remote("doc-1")])
    ingest(store, key, "doc-1", "mine")
    ingest(store, other.partition_key, "doc-1", "theirs")

    assert store.count_documents(key) == 1 and store.count_documents() == 2
    assert store.get_document(document_id(store, other.partition_key, "doc-1")).text == "theirs"
    with pytest.raises(KeyError):
        store.get_document(999_999)


def test_iter_live_documents_pages_through_everything(store: Store, key: str, monkeypatch):
    monkeypatch.setattr("connectors_pipeline.store.vault.PAGE_SIZE", 2)
    store.save_remote_items(key, [remote(f"d{n}") for n in range(5)])
    for n in range(5):
        ingest(store, key, f"d{n}", f"text {n}", size_bytes=n)
    store.record_removal(key, "d3", RemovalReason.DELETED)

    summaries = list(store.iter_live_documents(key))
    assert [s.external_id for s in summaries] == ["d0", "d1", "d2", "d4"]
    assert summaries[0].content_mime == "text/markdown" and summaries[4 - 1].size_bytes == 4


def test_huge_unique_text_still_ingests(store: Store, key: str):
    # PostgreSQL's tsvector tops out at 1 MB; the index covers the head so the insert never fails.
    words = " ".join(hashlib.sha256(str(n).encode()).hexdigest()[:10] for n in range(200_000))
    assert ingest(store, key, "doc-1", words + " needleword") == "created"
    with store.engine.connect() as conn:
        docs = metadata.tables["vault_documents"]
        assert conn.execute(sa.select(sa.func.length(docs.c.text))).scalar_one() == len(words) + 11


def test_concurrent_ingest_of_one_item_creates_one_document(store: Store, key: str):
    # Two runs racing on the same item: the item row lock makes the loser see the winner's document.
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda _: ingest(store, key, "doc-1", "same text"), range(4)))
    assert sorted(outcomes) == ["created", "unchanged", "unchanged", "unchanged"]
    assert store.count_documents(key) == 1 and store.count_versions(key) == 1
