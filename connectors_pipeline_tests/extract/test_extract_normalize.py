"""Normalization and the content hash: equal content hashes equal, whatever bytes it came from."""

from __future__ import annotations

import hashlib

import pytest

from connectors_pipeline.extract import content_hash, extract
from connectors_pipeline.extract.normalize import normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb\rc", "a\nb\nc"),
        ("nul\x00 bell\x07 esc\x1b del\x7f c1\x9b kept\ttab", "nul bell esc del c1 kept\ttab"),
        ("page one\x0cpage two", "page one\npage two"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("trailing   \nspaces\t\t\n", "trailing\nspaces"),
        ("\n\n  padded  \n\n", "padded"),
        ("e\u0301 A\u030a", "\u00e9 \u00c5"),
        ("\ufeffbom inside\ufeff", "bom inside"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("", ""),
    ],
    ids=[
        "newlines",
        "controls",
        "form-feed",
        "blank-runs",
        "trailing",
        "trim",
        "nfc",
        "bom",
        "surrogate",
        "empty",
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected
    assert normalize_text(expected) == expected  # idempotent


def test_nul_and_control_characters_removed_from_extracted_text(write):
    result = extract(write("f.txt", b"he\x00llo\x01 wor\x1fld\r\n"), "text/plain")
    assert result.text == "hello world"


def test_content_hash_is_sha256_of_the_text_and_stable(write):
    first = extract(write("a.txt", "same text\n"), "text/plain")
    second = extract(write("b.txt", "same text\r\n\r\n"), "text/plain")  # differs only in ways we normalize
    assert first.content_hash == second.content_hash == hashlib.sha256(b"same text").hexdigest()
    assert first.content_hash == content_hash(first.text)


def test_content_hash_changes_with_text(write):
    before = extract(write("a.txt", "version one"), "text/plain")
    after = extract(write("a.txt", "version two"), "text/plain")
    assert before.content_hash != after.content_hash


def test_same_text_in_different_encodings_hashes_equal(write):
    utf8 = extract(write("a.txt", "café".encode()), "text/plain")
    utf16 = extract(write("b.txt", "café".encode("utf-16")), "text/plain")
    cp1252 = extract(write("c.txt", "café".encode("cp1252")), "text/plain")
    assert utf8.content_hash == utf16.content_hash == cp1252.content_hash
