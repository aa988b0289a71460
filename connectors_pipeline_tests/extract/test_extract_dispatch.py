"""Dispatch: MIME types to extractors, limits before reading, empty input, unsupported types."""

from __future__ import annotations

import hashlib

import pytest

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.domain.file_types import DOCX
from connectors_pipeline.extract import Extracted, ExtractionLimits, extract


@pytest.mark.parametrize(
    ("mime", "extractor"),
    [
        ("text/markdown", "markdown"),
        ("text/x-markdown", "markdown"),
        ("text/plain", "text"),
        ("TEXT/PLAIN; charset=utf-8", "text"),
        ("text/html", "html"),
        ("text/csv", "csv"),
        ("text/tab-separated-values", "csv"),
        ("application/pdf", "pdf"),
        (DOCX, "docx"),
    ],
)
def test_empty_input_gives_empty_text(write, mime, extractor):
    result = extract(write("empty", b""), mime)
    assert result == Extracted(text="", title=None, content_hash=hashlib.sha256(b"").hexdigest(), extractor=extractor)


@pytest.mark.parametrize(
    "mime",
    ["image/png", "application/vnd.google-apps.document", "application/zip", "application/octet-stream"],
)
def test_unsupported_content_type(write, mime):
    with pytest.raises(ExtractionError, match=rf"^unsupported content type '{mime}'$"):
        extract(write("blob", b"\x89PNG..."), mime)


@pytest.mark.parametrize(
    ("name", "mime", "extractor"),
    [
        ("notes.md", "application/octet-stream", "markdown"),
        ("notes.md", "text/plain", "markdown"),
        ("data.tsv", "application/octet-stream", "csv"),
        ("page.HTM", "", "html"),
        ("notes.txt", "text/plain", "text"),
    ],
)
def test_name_refines_generic_mime_types(write, name, mime, extractor):
    assert extract(write("f", "# hi\tthere\n"), mime, name=name).extractor == extractor


def test_input_above_limit_is_refused_before_reading(write, monkeypatch):
    path = write("big.txt", "x" * 101)

    def must_not_read(*_args, **_kwargs):
        raise AssertionError("read despite being too big")

    monkeypatch.setattr(type(path), "open", must_not_read)
    monkeypatch.setattr(type(path), "read_bytes", must_not_read)
    with pytest.raises(ExtractionError, match=r"^input is 101 bytes, more than the limit of 100 bytes$"):
        extract(path, "text/plain", limits=ExtractionLimits(max_input_bytes=100))


def test_limits_apply_to_every_format(write):
    html = "<p>" + "word " * 50 + "</p>"
    with pytest.raises(ExtractionError, match="^text longer than 20 characters$"):
        extract(write("p.html", html), "text/html", limits=ExtractionLimits(max_text_chars=20))
