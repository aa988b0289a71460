"""Integrity finders: silent on clean data, and they FIND deliberately corrupted rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from connectors_pipeline.domain.items import RemovalReason
from connectors_pipeline.store import Store
from connectors_pipeline.store.schema import metadata, utcnow
from connectors_pipeline_tests.store.conftest import connect
from connectors_pipeline_tests.store.test_items import remote
from connectors_pipeline_tests.store.test_vault import ingest

versions = metadata.tables["vault_document_versions"]
items = metadata.tables["connector_items"]


@pytest.fixture
def key(store: Store, account) -> str:
    key = account.partition_key
    store.save_remote_items(key, [remote("a"), remote("b"), remote("c")])
    ingest(store, key, "a", "alpha")
    ingest(store, key, "a", "alpha")  # unchanged: no version
    ingest(store, key, "a", "alpha two")
    ingest(store, key, "a", "alpha")  # back to the first content: a new version, not a repeat
    ingest(store, key, "b", "beta")
    store.record_removal(key, "c", RemovalReason.DELETED)
    return key


def doc_id(store: Store, key: str, external_id: str) -> int:
    found = store.load_items(key)[external_id].vault_document_id
    assert found is not None
    return found


def test_clean_data_has_no_findings(store: Store, key: str):
    assert store.count_versions(key) == 4
    assert store.find_repeated_versions(key) == []
    assert store.find_items_sharing_a_document(key) == []
    assert store.find_orphan_documents(key) == []
    assert [s.external_id for s in store.iter_live_documents(key)] == ["a", "b"]


def test_a_repeated_version_is_found(store: Store, key: str):
    b = doc_id(store, key, "b")
    with store.engine.begin() as conn:
        latest = conn.execute(sa.select(versions).where(versions.c.document_id == b)).mappings().one()
        copy = {k: v for k, v in latest.items() if k != "id"}
        conn.execute(sa.insert(versions).values(**{**copy, "version_no": 2, "created_at": utcnow()}))

    assert store.find_repeated_versions(key) == [(b, latest["content_hash"])]


def test_a_repeat_across_a_gap_in_version_numbers_is_found(store: Store, key: str):
    b = doc_id(store, key, "b")
    with store.engine.begin() as conn:
        latest = conn.execute(sa.select(versions).where(versions.c.document_id == b)).mappings().one()
        copy = {k: v for k, v in latest.items() if k != "id"}
        conn.execute(sa.insert(versions).values(**{**copy, "version_no": 7}))

    assert store.find_repeated_versions(key) == [(b, latest["content_hash"])]


def test_two_items_linked_to_one_document_are_found(store: Store, key: str):
    a, b = doc_id(store, key, "a"), doc_id(store, key, "b")
    with store.engine.begin() as conn:
        conn.execute(sa.update(items).where(items.c.external_id == "b").values(vault_document_id=a))

    assert store.find_items_sharing_a_document(key) == [a]
    # b's own document now has no item pointing at it: an orphan.
    assert store.find_orphan_documents(key) == [b]


def test_a_changed_item_keeps_its_last_version_live_without_being_an_orphan(store: Store, key: str):
    store.save_remote_items(key, [remote("b", "2")])  # listed as changed, not yet re-ingested
    assert store.find_orphan_documents(key) == []


def test_a_live_document_whose_item_was_skipped_is_an_orphan(store: Store, key: str):
    with store.engine.begin() as conn:  # skipped without retiring its document: what a bug would leave
        conn.execute(sa.update(items).where(items.c.external_id == "b").values(status="skipped"))
    assert store.find_orphan_documents(key) == [doc_id(store, key, "b")]


def test_skipping_an_item_retires_its_live_document_with_the_reason(store: Store, key: str):
    store.record_skip(key, "b", "policy_file_type")
    assert store.find_orphan_documents(key) == []
    assert store.get_document(doc_id(store, key, "b")).deleted_reason == "policy_file_type"

    store.record_removal(key, "b", RemovalReason.DELETED)  # removed documents are not orphans
    assert store.find_orphan_documents(key) == []


def test_a_document_without_an_item_row_is_an_orphan(store: Store, key: str):
    b = doc_id(store, key, "b")
    with store.engine.begin() as conn:
        conn.execute(sa.delete(items).where(items.c.external_id == "b"))
    assert store.find_orphan_documents(key) == [b]


def test_findings_are_scoped_to_the_account(store: Store, key: str):
    other = connect(store, "other")
    store.save_remote_items(other.partition_key, [remote("z")])
    ingest(store, other.partition_key, "z", "zeta")
    z = doc_id(store, other.partition_key, "z")
    with store.engine.begin() as conn:
        latest = conn.execute(sa.select(versions).where(versions.c.document_id == z)).mappings().one()
        conn.execute(sa.insert(versions).values(**{**{k: v for k, v in latest.items() if k != "id"}, "version_no": 2}))

    assert store.find_repeated_versions(key) == []
    assert store.find_repeated_versions(other.partition_key) == [(z, latest["content_hash"])]


documents = metadata.tables["vault_documents"]


def test_coverage_of_a_clean_account_counts_every_allowed_item_as_covered(store: Store, key: str):
    coverage = store.find_coverage(key)

    assert coverage.allowed_by_status == {"synced": 2}  # c was deleted upstream: not expected in the vault
    assert (coverage.uncovered, coverage.live_documents, coverage.documents_without_allowed_item) == (0, 2, 0)


def test_a_listed_item_not_yet_ingested_is_uncovered_as_pending(store: Store, key: str):
    store.save_remote_items(key, [remote("d")])

    coverage = store.find_coverage(key)

    assert coverage.uncovered_by_status == {"pending": 1}
    assert coverage.uncovered_sample == ("d",)


def test_a_changed_item_whose_last_version_is_live_stays_covered(store: Store, key: str):
    store.save_remote_items(key, [remote("b", "2")])

    coverage = store.find_coverage(key)

    assert coverage.allowed_by_status == {"pending": 1, "synced": 1}
    assert coverage.uncovered == 0


def test_a_new_item_whose_fetch_failed_is_uncovered_as_error(store: Store, key: str):
    store.save_remote_items(key, [remote("d")])
    store.record_error(key, "d", "TransientError: 503 from the provider")

    assert store.find_coverage(key).uncovered_by_status == {"error": 1}


def test_a_document_removed_behind_the_pipelines_back_leaves_its_item_uncovered(store: Store, key: str):
    with store.engine.begin() as conn:
        conn.execute(sa.update(documents).where(documents.c.id == doc_id(store, key, "b")).values(deleted_at=utcnow()))

    coverage = store.find_coverage(key)

    assert (coverage.uncovered_by_status, coverage.uncovered_sample) == ({"synced": 1}, ("b",))
    assert coverage.live_documents == 1


def test_a_live_document_of_a_skipped_item_is_left_to_the_orphan_finder(store: Store, key: str):
    with store.engine.begin() as conn:  # skipped without retiring its document: what a bug would leave
        conn.execute(sa.update(items).where(items.c.external_id == "b").values(status="skipped"))

    coverage = store.find_coverage(key)

    assert (coverage.allowed_items, coverage.uncovered) == (1, 0)
    assert (coverage.live_documents, coverage.documents_without_allowed_item) == (2, 1)
    assert store.find_orphan_documents(key) == [doc_id(store, key, "b")]


def test_coverage_names_a_bounded_sample_of_uncovered_items_in_listing_order(store: Store, key: str):
    store.save_remote_items(key, [remote(f"new-{n:02d}") for n in range(25)])

    coverage = store.find_coverage(key, sample=20)

    assert coverage.uncovered == 25
    assert coverage.uncovered_sample == tuple(f"new-{n:02d}" for n in range(20))


def test_coverage_is_scoped_to_the_account(store: Store, key: str):
    other = connect(store, "other")
    store.save_remote_items(other.partition_key, [remote("a"), remote("z")])  # same external id as ours
    ingest(store, other.partition_key, "a", "other alpha")

    assert store.find_coverage(key).uncovered == 0
    other_coverage = store.find_coverage(other.partition_key)
    assert (other_coverage.uncovered_sample, other_coverage.live_documents) == (("z",), 1)
