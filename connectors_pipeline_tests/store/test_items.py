"""Connector items: bulk upserts of remote state, fetch / skip / error bookkeeping."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from connectors_pipeline.domain.items import RemoteItem, SkipReason
from connectors_pipeline.store import ItemNotFound, Store
from connectors_pipeline_tests.store.conftest import connect, utc


def remote(external_id: str, version: str = "1", **kwargs: object) -> RemoteItem:
    values: dict[str, object] = dict(
        provider="google_drive",
        external_id=external_id,
        name=f"{external_id}.pdf",
        mime_type="application/pdf",
        paths=(f"/Projects/{external_id}.pdf",),
        size=1234,
        modified_time=utc(2024, 5, 1, 10, 30),
        version=version,
        md5="d41d8cd98f00b204e9800998ecf8427e",
    )
    values.update(kwargs)
    return RemoteItem(**values)  # type: ignore[arg-type]


def test_save_remote_items_bulk_5000(store: Store, account):
    items = (remote(f"file-{n:05d}") for n in range(5000))  # a generator: streamed in chunks

    assert store.save_remote_items(account.partition_key, items) == 5000
    loaded = store.load_items(account.partition_key)
    assert len(loaded) == 5000
    assert loaded["file-04999"].status == "pending"
    assert loaded["file-00000"].paths == ("/Projects/file-00000.pdf",)
    assert loaded["file-00000"].modified_time == utc(2024, 5, 1, 10, 30)

    # Saving the same 5,000 again updates in place.
    changed = [remote(f"file-{n:05d}", version="2") for n in range(5000)]
    assert store.save_remote_items(account.partition_key, changed, status="pending") == 5000
    reloaded = store.load_items(account.partition_key)
    assert len(reloaded) == 5000 and reloaded["file-02500"].version == "2"


def test_upsert_updates_remote_fields_and_status_and_keeps_the_vault_link(store: Store, account):
    key = account.partition_key
    store.save_remote_items(key, [remote("a")])
    store.record_skip(key, "a", SkipReason.TOO_LARGE, "30 MB")
    store.save_remote_items(key, [remote("a", "2", name="renamed.pdf", trashed=True, size=None)], status="pending")

    item = store.load_items(key)["a"]
    assert (item.name, item.version, item.trashed, item.size) == ("renamed.pdf", "2", True, None)
    assert item.status == "pending"
    assert item.skip_reason == "policy_max_size"  # kept, so the same skip is not logged again


def test_duplicate_ids_in_one_batch_keep_the_last(store: Store, account):
    assert store.save_remote_items(account.partition_key, [remote("a", "1"), remote("a", "2")]) == 1
    assert store.load_items(account.partition_key)["a"].version == "2"


def test_items_are_scoped_to_their_account(store: Store, account):
    other = connect(store, "someone-else")
    store.save_remote_items(account.partition_key, [remote("shared-id")])
    store.save_remote_items(other.partition_key, [remote("shared-id", "9")])

    assert store.load_items(account.partition_key)["shared-id"].version == "1"
    assert store.load_items(other.partition_key)["shared-id"].version == "9"


def test_record_fetch_then_error(store: Store, account):
    key = account.partition_key
    store.save_remote_items(key, [remote("a")])
    store.record_fetch(
        key,
        "a",
        blob_sha256="ab" * 32,
        content_mime="application/pdf",
        size=4321,
        provenance={"method": "download"},
        version="1",
    )
    item = store.load_items(key)["a"]
    assert (item.status, item.blob_sha256, item.content_size, item.fetched_version) == (
        "fetched",
        "ab" * 32,
        4321,
        "1",
    )
    assert item.provenance == {"method": "download"}

    store.record_error(key, "a", "TransientError: 503 from provider")
    item = store.load_items(key)["a"]
    assert item.status == "error" and item.last_error == "TransientError: 503 from provider"


def test_record_skip_logs_only_when_status_or_reason_changes(store: Store, account):
    key = account.partition_key
    store.save_remote_items(key, [remote("a")])

    assert store.record_skip(key, "a", SkipReason.TOO_LARGE, "30 MB") is True
    assert store.record_skip(key, "a", SkipReason.TOO_LARGE, "31 MB") is False
    store.save_remote_items(key, [remote("a", "2")])  # the next listing resets it to pending
    assert store.record_skip(key, "a", SkipReason.TOO_LARGE) is False
    assert store.record_skip(key, "a", SkipReason.FILE_TYPE_NOT_ALLOWED) is True

    item = store.load_items(key)["a"]
    assert (item.status, item.skip_reason) == ("skipped", "policy_file_type")
    events = [e for e in store.list_activity(partition_key=key) if e.event == "item_skipped"]
    assert [e.context["reason"] for e in events] == ["policy_file_type", "policy_max_size"]
    assert events[-1].context == {"external_id": "a", "reason": "policy_max_size", "detail": "30 MB"}


def test_bookkeeping_on_an_unknown_item_raises(store: Store, account):
    with pytest.raises(ItemNotFound):
        store.record_skip(account.partition_key, "nope", SkipReason.TOO_LARGE)
    with pytest.raises(ItemNotFound):
        store.record_error(account.partition_key, "nope", "boom")


def test_invalid_status_is_refused(store: Store, account):
    with pytest.raises(ValueError):
        store.save_remote_items(account.partition_key, [remote("a")], status="done")


def test_concurrent_writers_from_threads_all_succeed(store: Store, account):
    # The export step fetches with a thread pool; on SQLite every writer must wait its turn
    # (BEGIN IMMEDIATE + busy_timeout), never fail with "database is locked".
    key = account.partition_key
    store.save_remote_items(key, [remote(f"f{n}") for n in range(80)])

    def work(n: int) -> None:
        if n % 2:
            store.record_skip(key, f"f{n}", SkipReason.TOO_LARGE)
        else:
            store.record_fetch(
                key,
                f"f{n}",
                blob_sha256=f"{n:064x}",
                content_mime="text/plain",
                size=n,
                provenance={},
                version="1",
            )
        store.load_items(key)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(80)))
    statuses = Counter(item.status for item in store.load_items(key).values())
    assert statuses == {"fetched": 40, "skipped": 40}
