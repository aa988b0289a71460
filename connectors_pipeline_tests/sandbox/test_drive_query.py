"""The Drive `q` parser: what matches, and what Drive would reject with 400."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors_pipeline.sandbox.drive_query import QueryError, QueryRecord, compile_query, confining_parent

RECORD = QueryRecord(
    name="Quarterly Report 2024.pdf",
    mime_type="application/pdf",
    parents=("1FolderId", "root"),
    trashed=False,
    created=datetime(2024, 1, 10, 12, 0, tzinfo=UTC),
    modified=datetime(2024, 6, 1, 8, 30, tzinfo=UTC),
    starred=True,
    owners=("alice@example.com",),
    full_text="Revenue grew in the third quarter",
    shortcut_target=None,
    properties={"team": "finance"},
)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("'1FolderId' in parents", True),
        ("'root' in parents", True),
        ("'other' in parents", False),
        ("trashed = false", True),
        ("trashed = true", False),
        ("trashed != true", True),
        ("mimeType = 'application/pdf'", True),
        ('mimeType = "application/pdf"', True),
        ("mimeType != 'application/vnd.google-apps.folder'", True),
        ("mimeType contains 'pdf'", True),
        ("mimeType contains 'image/'", False),
        ("name = 'Quarterly Report 2024.pdf'", True),
        ("name contains 'Report'", True),
        ("name contains 'quarterly rep'", True),
        ("name contains 'eport'", False),  # prefix match on words, as Drive does
        ("fullText contains 'third quarter'", True),
        ("fullText contains 'fourth'", False),
        ("modifiedTime > '2024-05-01T00:00:00'", True),
        ("modifiedTime > '2024-06-01T08:30:00Z'", False),
        ("modifiedTime >= '2024-06-01T08:30:00Z'", True),
        ("modifiedTime < '2024-06-01T11:00:00+02:00'", True),
        ("createdTime <= '2024-01-10T12:00:00.000Z'", True),
        ("starred = true", True),
        ("'alice@example.com' in owners", True),
        ("'bob@example.com' in owners", False),
        ("properties has { key='team' and value='finance' }", True),
        ("not trashed = true", True),
        ("not (trashed = false)", False),
        ("trashed = true or name contains 'Quarterly'", True),
        ("trashed = true or (name contains 'Nope' and starred = true)", False),
        ("trashed = false and 'root' in parents and mimeType != 'text/plain'", True),
        ("trashed = true and starred = true or starred = true", True),  # and binds tighter than or
        ("trashed = false AND starred = true", True),  # keywords are case-insensitive
    ],
)
def test_query_matches(q: str, expected: bool) -> None:
    assert compile_query(q)(RECORD) is expected


@pytest.mark.parametrize(
    ("q", "name", "expected"),
    [
        (r"name = 'O\'Brien notes'", "O'Brien notes", True),
        (r"name = 'back\\slash'", "back\\slash", True),
        (r'name = "say \"hi\""', 'say "hi"', True),
        ("name contains 'Brien'", "O'Brien notes", True),
    ],
)
def test_quotes_and_escapes(q: str, name: str, expected: bool) -> None:
    record = QueryRecord(name, "text/plain", (), False, RECORD.created, RECORD.modified)
    assert compile_query(q)(record) is expected


@pytest.mark.parametrize(
    "q",
    [
        "",
        "trashed",
        "trashed = 'false'",
        "name = unquoted",
        "name contains",
        "'x' in nowhere",
        "unknownField = 'x'",
        "(trashed = false",
        "trashed = false)",
        "trashed = false and",
        "modifiedTime > 'yesterday'",
        "modifiedTime contains '2024'",
        "mimeType > 'a'",
        "name = 'unterminated",
        "fullText = 'x'",
        "trashed = false ; drop",
    ],
)
def test_invalid_queries_raise(q: str) -> None:
    with pytest.raises(QueryError):
        compile_query(q)


def test_people_collections_for_a_file_shared_with_the_user() -> None:
    shared = QueryRecord(
        name="terms.txt",
        mime_type="text/plain",
        parents=(),
        trashed=False,
        created=datetime(2024, 1, 1, tzinfo=UTC),
        modified=datetime(2024, 1, 1, tzinfo=UTC),
        owners=("carol@example.com",),
        readers=("alice@example.com",),
        shared_with_me=True,
    )
    expected = {
        "'carol@example.com' in owners": True,
        "'alice@example.com' in owners": False,
        "'Alice@Example.com' in readers": True,
        "'alice@example.com' in writers": True,
        "'carol@example.com' in readers": True,  # an owner can read
        "sharedWithMe": True,
        "not sharedWithMe": False,
    }
    assert {q: compile_query(q)(shared) for q in expected} == expected


@pytest.mark.parametrize(
    ("q", "parent"),
    [
        ("'F1' in parents", "F1"),
        ("'F1' in parents and trashed = false", "F1"),
        ("trashed = false and ('F1' in parents) and name contains 'x'", "F1"),
        ("'root' in parents and mimeType = 'application/vnd.google-apps.folder'", "root"),
        ("'F1' in parents or 'F2' in parents", None),
        ("not 'F1' in parents", None),
        ("trashed = false and ('F1' in parents or name = 'x')", None),
        ("trashed = false", None),
    ],
)
def test_confining_parent_only_for_a_top_level_parents_term(q: str, parent: str | None) -> None:
    assert confining_parent(compile_query(q)) == parent
