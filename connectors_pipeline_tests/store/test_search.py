"""Full-text search on both dialects: finds text, returns snippets, treats user input as plain words."""

from __future__ import annotations

import pytest

from connectors_pipeline.domain.items import RemovalReason
from connectors_pipeline.store import Store
from connectors_pipeline.store.search import fts5_match, search_terms
from connectors_pipeline_tests.store.conftest import connect
from connectors_pipeline_tests.store.test_items import remote
from connectors_pipeline_tests.store.test_vault import ingest

HOSTILE_QUERIES = [
    '"AND OR NEAR( *',
    '"',
    "NEAR(budget, 3)",
    "budget OR",
    "-budget",
    "budget*",
    "title:budget",
    "'; DROP TABLE vault_documents; --",
    "(((",
    "^budget",
    "budget AND NOT",
    "",
    "   ",
    "***",
]


@pytest.fixture
def key(store: Store, account) -> str:
    key = account.partition_key
    store.save_remote_items(key, [remote("budget"), remote("roadmap"), remote("minutes")])
    ingest(
        store,
        key,
        "budget",
        "The quarterly budget review covers travel and hardware spending.",
        title="Budget 2024",
    )
    ingest(store, key, "roadmap", "Roadmap: ship the search feature, then the budget dashboard.", title="Roadmap")
    ingest(store, key, "minutes", "Meeting minutes about hiring and onboarding.", title="Minutes")
    return key


def test_search_finds_text_with_a_snippet(store: Store, key: str):
    hits = store.search("quarterly budget", partition_key=key)

    assert [h.title for h in hits] == ["Budget 2024"]
    hit = hits[0]
    assert "**quarterly**" in hit.snippet and "**budget**" in hit.snippet
    assert hit.provider == "google_drive" and hit.partition_key == key
    assert hit.document_id == store.load_items(key)["budget"].vault_document_id
    assert hit.score > 0


def test_all_words_must_match_and_best_match_first(store: Store, key: str):
    assert {h.title for h in store.search("budget", partition_key=key)} == {"Budget 2024", "Roadmap"}
    assert store.search("budget", partition_key=key)[0].title == "Budget 2024"  # title and text
    assert store.search("budget hiring", partition_key=key) == []
    assert [h.title for h in store.search("ONBOARDING", partition_key=key)] == ["Minutes"]  # case-insensitive


def test_search_matches_title_and_path_words(store: Store, key: str):
    assert [h.title for h in store.search("Minutes Projects", partition_key=key)] == ["Minutes"]
    store.save_remote_items(key, [remote("report")])
    ingest(
        store,
        key,
        "report",
        "numbers",
        title="Q3-report_final.pdf",
        path="/Shared/Finance/Q3-report_final.pdf",
    )
    for query in ("finance", "report", "final pdf", "Q3-report_final.pdf"):
        assert [h.title for h in store.search(query, partition_key=key)] == ["Q3-report_final.pdf"], query


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_operators_and_quotes_in_user_input_never_break_the_query(store: Store, key: str, query: str):
    store.search(query, partition_key=key)  # no syntax error, whatever the input
    assert store.count_documents(key) == 3


@pytest.mark.parametrize("query", ["-budget", "budget*", "^budget", '"budget', "(budget)", "budget:"])
def test_punctuation_around_a_word_is_ignored(store: Store, key: str, query: str):
    assert {h.title for h in store.search(query, partition_key=key)} == {"Budget 2024", "Roadmap"}


@pytest.mark.parametrize("query", ["budget OR hiring", "NEAR(budget hiring)", "budget NOT travel"])
def test_operators_do_not_change_the_meaning(store: Store, key: str, query: str):
    # Every word must match, operators included: no document has all of them.
    assert store.search(query, partition_key=key) == []


def test_operator_words_are_searched_as_words(store: Store, key: str):
    store.save_remote_items(key, [remote("ops")])
    ingest(store, key, "ops", "Boolean logic: AND OR NOT NEAR operators explained.", title="Logic")
    assert [h.title for h in store.search('"AND OR NEAR( *', partition_key=key)] == ["Logic"]


def test_search_hides_deleted_documents_and_respects_the_account(store: Store, key: str):
    other = connect(store, "other")
    store.save_remote_items(other.partition_key, [remote("x")])
    ingest(store, other.partition_key, "x", "another budget, in someone else's drive", title="Other")

    assert {h.partition_key for h in store.search("budget")} == {key, other.partition_key}
    assert {h.title for h in store.search("budget", partition_key=other.partition_key)} == {"Other"}

    store.record_removal(key, "budget", RemovalReason.DELETED)
    assert {h.title for h in store.search("budget", partition_key=key)} == {"Roadmap"}


def test_search_follows_updates(store: Store, key: str):
    ingest(store, key, "minutes", "Meeting minutes about the offsite in Lisbon.", title="Minutes")
    assert store.search("hiring", partition_key=key) == []
    assert [h.title for h in store.search("lisbon", partition_key=key)] == ["Minutes"]


def test_limit(store: Store, key: str):
    assert len(store.search("budget", partition_key=key, limit=1)) == 1
    assert store.search("budget", partition_key=key, limit=0) == []


def test_query_reduction_helpers():
    assert search_terms('"AND OR NEAR( *') == ["AND", "OR", "NEAR"]
    assert fts5_match(["AND", 'we"ird']) == '"AND" "we""ird"'
