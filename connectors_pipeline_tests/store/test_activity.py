"""Cursors (account-wide and per source, staged then committed), job rows, the activity log and the names
its events refer to."""

from __future__ import annotations

import pytest

from connectors_pipeline.domain.items import RemovalReason
from connectors_pipeline.store import AccountNotFound, Store
from connectors_pipeline_tests.store.conftest import connect
from connectors_pipeline_tests.store.test_items import remote
from connectors_pipeline_tests.store.test_vault import ingest


def test_account_cursor_upserts_despite_null_source(store: Store, account):
    key = account.partition_key
    assert store.get_cursor(key) is None
    store.set_cursor(key, "page-token-1")
    store.set_cursor(key, "page-token-2")  # NULL source_id must still hit the unique index
    assert store.get_cursor(key) == "page-token-2"


def test_per_source_cursors_are_independent(store: Store, account):
    key = account.partition_key
    one = store.add_source(key, kind="folder", external_id="f1", name="One")
    two = store.add_source(key, kind="folder", external_id="f2", name="Two")
    store.set_cursor(key, "account-wide")
    store.set_cursor(key, "one-a", source_id=one.id)
    store.set_cursor(key, "one-b", source_id=one.id)
    store.set_cursor(key, "two-a", source_id=two.id)

    assert store.get_cursor(key) == "account-wide"
    assert store.get_cursor(key, source_id=one.id) == "one-b"
    assert store.get_cursor(key, source_id=two.id) == "two-a"


def test_cursor_of_another_accounts_source_is_refused(store: Store, account):
    other = connect(store, "other")
    theirs = store.add_source(other.partition_key, kind="folder", external_id="f", name="F")
    with pytest.raises(ValueError):
        store.set_cursor(account.partition_key, "x", source_id=theirs.id)


def test_staged_cursor_counts_only_once_committed(store: Store, account):
    key = account.partition_key
    store.stage_cursor(key, "before-snapshot")
    assert store.get_cursor(key) is None
    assert store.commit_staged_cursor(key) == "before-snapshot"
    assert store.get_cursor(key) == "before-snapshot"
    assert store.commit_staged_cursor(key) == "before-snapshot"  # nothing staged: unchanged

    store.stage_cursor(key, "next")
    store.set_cursor(key, "direct")
    assert store.get_cursor(key) == "direct"
    assert store.commit_staged_cursor(key) == "next"


def test_jobs_lifecycle_and_retries(store: Store, account):
    key = account.partition_key
    job = store.start_job(key, run_id="run-1", job_type="initial_sync")
    assert store.find_job(key, "run-1").id == job
    retried = store.start_job(key, run_id="run-1", job_type="initial_sync", attempt=2)
    assert retried == job  # same run, same row

    store.finish_job(job, status="succeeded", counts={"files_imported": 3})
    assert store.find_job(key, "run-1").status == "succeeded"
    assert store.find_job(key, "run-2") is None
    system = store.start_job(None, run_id=None, job_type="reencrypt")

    jobs = store.list_jobs()
    assert [j.id for j in jobs] == [system, job]
    done = jobs[1]
    assert (done.partition_key, done.status, done.attempts, done.counts) == (
        key,
        "succeeded",
        2,
        {"files_imported": 3},
    )
    assert done.finished_at is not None and done.started_at.tzinfo is not None
    assert jobs[0].partition_key is None and jobs[0].finished_at is None
    with pytest.raises(KeyError):
        store.finish_job(999_999, status="failed", counts={})


def test_activity_log_carries_tenant_user_and_context(store: Store, account):
    key = account.partition_key
    store.log_activity("connector_sync_started", partition_key=key, context={"run_id": "r1"})
    store.log_activity("maintenance", context={"what": "vacuum"})

    newest, previous = store.list_activity(limit=2)
    assert (newest.event, newest.partition_key, newest.tenant_id, newest.context) == (
        "maintenance",
        None,
        None,
        {"what": "vacuum"},
    )
    assert (previous.event, previous.partition_key, previous.tenant_id, previous.user_id) == (
        "connector_sync_started",
        key,
        "default",
        "local",
    )
    assert [e.event for e in store.list_activity(partition_key=key)] == [
        "connector_sync_started",
        "connector_connected",
    ]


def test_jobs_and_activity_name_their_provider_and_filter_by_account(store: Store, account):
    key, other = account.partition_key, connect(store, "other").partition_key
    mine = store.start_job(key, run_id="run-1", job_type="initial_sync")
    theirs = store.start_job(other, run_id="run-2", job_type="initial_sync")
    system = store.start_job(None, run_id=None, job_type="reencrypt")
    store.log_activity("connector_sync_started", partition_key=other, context={"run_id": "run-2"})
    store.log_activity("maintenance", context={"what": "vacuum"})

    assert [(job.id, job.provider) for job in store.list_jobs()] == [
        (system, None),
        (theirs, "google_drive"),
        (mine, "google_drive"),
    ]
    assert [job.id for job in store.list_jobs(partition_key=key)] == [mine]
    assert [job.id for job in store.list_jobs(limit=1, partition_key=other)] == [theirs]
    assert [(e.event, e.provider) for e in store.list_activity(limit=2)] == [
        ("maintenance", None),
        ("connector_sync_started", "google_drive"),
    ]
    assert {e.provider for e in store.list_activity(partition_key=key)} == {"google_drive"}
    with pytest.raises(AccountNotFound):
        store.list_jobs(partition_key="google_drive-000000000000")


def test_titles_and_item_names_for_a_page_of_events(store: Store, account):
    key, other = account.partition_key, connect(store, "other").partition_key
    store.save_remote_items(key, [remote("doc-1"), remote("doc-2")])
    store.save_remote_items(other, [remote("doc-3")])
    ingest(store, key, "doc-1", "text", title="Quarterly report")
    store.record_removal(key, "doc-1", RemovalReason.TRASHED)  # deleted documents keep their title
    document_id = store.load_items(key)["doc-1"].vault_document_id
    assert document_id is not None

    assert store.document_titles([document_id, 999_999]) == {document_id: "Quarterly report"}
    assert store.document_titles([]) == {}
    # (key, doc-3) and (other, doc-2) exist as neither pair, though each half matches something.
    wanted = [(key, "doc-2"), (other, "doc-3"), (key, "doc-3"), (other, "doc-2"), ("google_drive-0", "doc-1")]
    assert store.item_names(wanted) == {(key, "doc-2"): "doc-2.pdf", (other, "doc-3"): "doc-3.pdf"}
    assert store.item_names([]) == {}
