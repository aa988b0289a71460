"""The Drive `q` parser: what matches, and what Drive would reject with 400."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors_pipeline.sandbox.drive_query import QueryError, QueryRecord, compile_query

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
