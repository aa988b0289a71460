"""Reads on a person's behalf return only their scope's rows: two tenants with two people each.

Ann and Gus connected the same Google account, each in their own tenant; every account also holds an
item with the same external id ("report"), so a query that forgot its account would show up here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from connectors_pipeline.domain.principal import AccountScope
from connectors_pipeline.store import AccountNotFound, Store
from connectors_pipeline_tests.store.conftest import connect
from connectors_pipeline_tests.store.test_items import remote
from connectors_pipeline_tests.store.test_vault import ingest

PEOPLE = {"ann": "acme", "amos": "acme", "gus": "globex", "gia": "globex"}
SHARED_GOOGLE_ACCOUNT = "shared-drive"  # connected by Ann in acme and by Gus in globex
RUN = "0c6d1f5e-0000-4000-8000-000000000000"

SCOPES = {
    "ann as member": (AccountScope("acme", "ann"), {"ann"}),
    "gia as member": (AccountScope("globex", "gia"), {"gia"}),
    "acme admin": (AccountScope("acme", None), {"ann", "amos"}),
    "globex admin": (AccountScope("globex", None), {"gus", "gia"}),
    "a tenant nobody is in": (AccountScope("initech", None), set()),
    "ann's user id in another tenant": (AccountScope("globex", "ann"), set()),
}


@dataclass(frozen=True)
class Person:
    key: str  # partition key of the person's account
    report: int  # vault document id of their "report"
    word: str  # a word only their documents contain


@pytest.fixture
def people(store: Store) -> dict[str, Person]:
    found = {}
    for user, tenant in PEOPLE.items():
        external = SHARED_GOOGLE_ACCOUNT if user in ("ann", "gus") else f"{user}-drive"
        key = connect(store, external, tenant_id=tenant, user_id=user).partition_key
        store.save_remote_items(key, [remote("report", name=f"{user} report.pdf")])
        ingest(store, key, "report", f"quarterly numbers {user}word", title=f"{user} report")
        ingest(store, key, "report", f"quarterly numbers {user}word, revised")
        store.add_source(key, kind="folder", external_id="team-folder", name=f"{user} team")
        job = store.start_job(key, run_id=RUN, job_type="initial_sync")
        store.finish_job(job, status="succeeded", counts={"files_imported": 1})
        store.log_linking_activity("connector_connect_started", tenant_id=tenant, user_id=user, context={})
        report = store.load_items(key)["report"].vault_document_id
        assert report is not None
        found[user] = Person(key, report, f"{user}word")
    return found


@pytest.fixture(params=list(SCOPES))
def scoped(request, people) -> tuple[AccountScope, dict[str, Person], dict[str, Person]]:
    """A scope, the people it must see and the people it must not."""
    scope, visible = SCOPES[request.param]
    return (
        scope,
        {user: p for user, p in people.items() if user in visible},
        {user: p for user, p in people.items() if user not in visible},
    )


def keys(people: dict[str, Person]) -> set[str]:
    return {p.key for p in people.values()}


def test_the_same_google_account_in_two_tenants_is_two_accounts(people):
    assert people["ann"].key != people["gus"].key
    assert len(keys(people)) == 4


def test_accounts_and_their_sources(store: Store, scoped):
    scope, mine, others = scoped

    assert {a.partition_key for a in store.list_accounts(statuses=None, scope=scope)} == keys(mine)
    assert {s.partition_key for s in store.list_sources(enabled_only=False, scope=scope)} == keys(mine)
    for person in mine.values():
        assert store.get_account(person.key, scope=scope).partition_key == person.key
        assert [s.partition_key for s in store.list_sources(person.key, scope=scope)] == [person.key]
    for person in others.values():
        with pytest.raises(AccountNotFound):
            store.get_account(person.key, scope=scope)
        with pytest.raises(AccountNotFound):
            store.list_sources(person.key, scope=scope)


def test_search(store: Store, scoped):
    scope, mine, others = scoped

    hits = store.search("quarterly numbers", scope=scope)

    assert {hit.partition_key for hit in hits} == keys(mine)
    for person in others.values():
        assert store.search(person.word, scope=scope) == []
        assert store.search("quarterly", partition_key=person.key, scope=scope) == []
    for person in mine.values():
        [hit] = store.search(person.word, scope=scope)
        assert hit.document_id == person.report


def test_documents_versions_and_titles(store: Store, scoped, people):
    scope, mine, others = scoped

    for person in mine.values():
        assert store.get_document(person.report, scope=scope).partition_key == person.key
        assert [v.version_no for v in store.list_versions(person.report, scope=scope)] == [1, 2]
    for person in others.values():
        with pytest.raises(KeyError):
            store.get_document(person.report, scope=scope)
        assert store.list_versions(person.report, scope=scope) == []
    every_report = [p.report for p in people.values()]
    assert set(store.document_titles(every_report, scope=scope)) == {p.report for p in mine.values()}
    every_item = [(p.key, "report") for p in people.values()]
    assert {key for key, _ in store.item_names(every_item, scope=scope)} == keys(mine)


def test_jobs_and_activity(store: Store, scoped):
    scope, mine, others = scoped

    assert {job.partition_key for job in store.list_jobs(scope=scope)} == keys(mine)
    activity = store.list_activity(limit=500, scope=scope)
    assert {(r.tenant_id, r.user_id) for r in activity} == {(PEOPLE[user], user) for user in mine}
    # A connect attempt has no account yet; it still shows to the person who made it, and only to them.
    attempts = [r for r in activity if r.event == "connector_connect_started"]
    assert sorted(r.user_id for r in attempts) == sorted(mine)
    for person in others.values():
        with pytest.raises(AccountNotFound):
            store.list_jobs(partition_key=person.key, scope=scope)
        with pytest.raises(AccountNotFound):
            store.list_activity(partition_key=person.key, scope=scope)
    for person in mine.values():
        [job] = store.list_jobs(partition_key=person.key, scope=scope)
        assert job.partition_key == person.key
        assert {r.partition_key for r in store.list_activity(partition_key=person.key, scope=scope)} == {person.key}


def test_without_a_scope_the_pipeline_sees_every_account(store: Store, people):
    assert {a.partition_key for a in store.list_accounts(statuses=None)} == keys(people)
    assert len(store.search("quarterly")) == 4
    assert {job.partition_key for job in store.list_jobs()} == keys(people)


def test_per_account_queries_never_reach_another_account_with_the_same_item(store: Store, people):
    ann, gus = people["ann"], people["gus"]

    ingest(store, ann.key, "report", "ann rewrote it, v3")

    assert store.load_items(ann.key)["report"].vault_document_id == ann.report
    assert store.load_items(gus.key)["report"].vault_document_id == gus.report
    assert [v.version_no for v in store.list_versions(gus.report)] == [1, 2]
    assert store.get_document(gus.report).text == "quarterly numbers gusword, revised"
    assert store.record_removal(gus.key, "report", "deleted")
    assert store.get_document(ann.report).deleted_at is None
    assert [d.id for d in store.iter_live_documents(ann.key)] == [ann.report]
    assert store.count_documents(gus.key) == 0
