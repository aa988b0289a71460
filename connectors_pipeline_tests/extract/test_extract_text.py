"""Plain text and Markdown: decoding never fails, and the Markdown title comes from its first heading."""

from __future__ import annotations

import codecs

import pytest

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract import ExtractionLimits, extract


@pytest.mark.parametrize(
    ("content", "mime", "expected"),
    [
        ("naïve café ✓".encode(), "text/plain", "naïve café ✓"),
        (codecs.BOM_UTF8 + "café".encode(), "text/plain", "café"),
        ("café ✓".encode("utf-16"), "text/plain", "café ✓"),  # with BOM, native order
        (codecs.BOM_UTF16_BE + "café".encode("utf-16-be"), "text/plain", "café"),
        (codecs.BOM_UTF32_LE + "café".encode("utf-32-le"), "text/plain", "café"),
        ("ascii in utf-16, no bom".encode("utf-16-le"), "text/plain", "ascii in utf-16, no bom"),
        ("smart “quotes” – café".encode("cp1252"), "text/plain", "smart “quotes” – café"),
        ("café".encode("latin-1"), "text/plain; charset=ISO-8859-1", "café"),
        ("café".encode("utf-16-le"), "text/plain; charset=utf-16-le", "café"),
        (b"caf\xc3\xa9 \x81\x8d broken", "text/plain", "cafÃ© \x81\x8d broken"),  # not UTF-8, not cp1252
        ("e\u0301".encode(), "text/plain", "\u00e9"),  # NFC
        (b"x", "text/plain; charset=no-such-charset", "x"),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "utf16-bom",
        "utf16be-bom",
        "utf32le-bom",
        "utf16-no-bom",
        "cp1252",
        "declared-latin1",
        "declared-utf16le",
        "invalid-utf8-latin1",
        "nfc",
        "unknown-charset",
    ],
)
def test_text_decoding_never_fails(write, content, mime, expected):
    result = extract(write("f.txt", content), mime)
    assert result.extractor == "text"
    # Latin-1 maps 0x81/0x8D to C1 controls, which normalization removes.
    assert result.text == expected.replace("\x81", "").replace("\x8d", "")
    assert result.title is None


def test_invalid_utf8_does_not_crash(write):
    result = extract(write("f.txt", b"\xc3\x28 valid tail \xe9\x90\xfd"), "text/plain")
    assert result.text == "\u00c3( valid tail \u00e9\u00fd"  # Latin-1; the C1 control 0x90 is dropped


def test_text_too_long_is_refused_not_cut(write):
    with pytest.raises(ExtractionError, match=r"^text longer than 10 characters$"):
        extract(write("f.txt", "x" * 11), "text/plain", limits=ExtractionLimits(max_text_chars=10))


def test_text_at_the_limit_after_normalization_is_kept(write):
    # 9 characters of content, 19 raw: CRLFs and NULs disappear before the exact limit is applied.
    path = write("f.txt", "a\r\nb\r\nc\x00\x00\x00\r\nd\x00e")
    result = extract(path, "text/plain", limits=ExtractionLimits(max_text_chars=10))
    assert result.text == "a\nb\nc\nde"


@pytest.mark.parametrize(
    ("content", "title"),
    [
        ("# Project Plan\n\nBody", "Project Plan"),
        ("Intro line\n\n## Second level #\n\n# Later", "Second level"),
        ('---\ntitle: "From Front Matter"\n---\n# Heading', "From Front Matter"),
        ("```\n# not a heading\n```\n\nSetext Title\n============\n", "Setext Title"),
        ("no heading here\n\n---\n", None),
        ("#hashtag is not a heading", None),
    ],
    ids=["atx", "first-any-level", "front-matter", "fenced-then-setext", "thematic-break", "no-space"],
)
def test_markdown_title(write, content, title):
    result = extract(write("n.md", content), "text/markdown")
    assert result.extractor == "markdown"
    assert result.title == title


def test_markdown_text_is_normalized_not_rewritten(write):
    content = "# Title  \r\n\r\n\r\n\r\n- item *one*\r\n- item two\t\r\n"
    assert extract(write("n.md", content), "text/x-markdown").text == "# Title\n\n- item *one*\n- item two"
