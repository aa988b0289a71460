"""fetch(): chunked downloads and exports with fallbacks, against the seeded sandbox drive."""

from __future__ import annotations

import io
from typing import Any

import pytest

from connectors_pipeline.domain.errors import (
    ExportTooLargeError,
    NotFoundError,
    UnsupportedContentError,
)
from connectors_pipeline.domain.file_types import GOOGLE_DOC, GOOGLE_SHEET, GOOGLE_SLIDES
from connectors_pipeline.domain.items import RemoteItem
from connectors_pipeline.providers.base import ExportPlan, Scope
from connectors_pipeline.providers.google_drive import DEFAULT_EXPORT_PLAN


@pytest.fixture(scope="module")
def items(seeded: Any) -> dict[str, RemoteItem]:
    return {item.name: item for item in seeded.provider().snapshot(Scope()).items}


def test_binary_download_is_chunked_and_byte_identical(seeded: Any, items: dict[str, RemoteItem], corpus: Any) -> None:
    entry = next(e for e in corpus if e.name == "Kickoff minutes.docx")
    item = items[entry.name]
    assert len(entry.content) > 10 * 1024
    seeded.state.reset_requests()
    out = io.BytesIO()
    provenance = seeded.provider(download_chunk_bytes=4096).fetch(item, DEFAULT_EXPORT_PLAN, out)
    assert out.getvalue() == entry.content
    assert provenance.method == "download" and provenance.content_mime == item.mime_type
    media = seeded.state.requests_to(rf"/files/{item.external_id}$")
    assert len(media) == -(-len(entry.content) // 4096)  # one Range request per chunk
    assert {r.status for r in media} == {206}


def test_empty_file_downloads_as_empty(seeded: Any, items: dict[str, RemoteItem]) -> None:
    out = io.BytesIO()
    seeded.provider().fetch(items["Empty placeholder.txt"], DEFAULT_EXPORT_PLAN, out)
    assert out.getvalue() == b""


def test_doc_exports_as_markdown(seeded: Any, items: dict[str, RemoteItem]) -> None:
    out = io.BytesIO()
    provenance = seeded.provider().fetch(items["Alpha design doc"], DEFAULT_EXPORT_PLAN, out)
    assert provenance.method == "export" and provenance.source_mime == GOOGLE_DOC
    assert provenance.content_mime == "text/markdown" and provenance.attempts == ()
    assert out.getvalue().lstrip().startswith(b"#")


def test_doc_exports_as_text_when_markdown_is_not_allowed(seeded: Any, items: dict[str, RemoteItem]) -> None:
    plan = DEFAULT_EXPORT_PLAN.restricted_to(frozenset({"text/plain", "text/csv"}))
    out = io.BytesIO()
    provenance = seeded.provider().fetch(items["Alpha design doc"], plan, out)
    assert provenance.content_mime == "text/plain" and provenance.attempts == ()
    assert out.getvalue()


def test_export_falls_back_to_the_next_target(seeded: Any, items: dict[str, RemoteItem]) -> None:
    seeded.state.inject_fault(r"/export\?.*mimeType=text%2Fmarkdown", 403, "exportSizeLimitExceeded")
    out = io.BytesIO(b"HEADER")  # what the caller wrote before stays; only the failed attempt is discarded
    out.seek(0, io.SEEK_END)
    provenance = seeded.provider().fetch(items["Alpha design doc"], DEFAULT_EXPORT_PLAN, out)
    assert provenance.content_mime == "text/plain"
    assert provenance.attempts == ("text/markdown",)
    plain = io.BytesIO()
    seeded.provider().fetch(items["Alpha design doc"], ExportPlan({GOOGLE_DOC: ("text/plain",)}), plain)
    assert out.getvalue() == b"HEADER" + plain.getvalue()


def test_sheet_and_slides_follow_the_plan(seeded: Any, items: dict[str, RemoteItem]) -> None:
    provider = seeded.provider()
    sheet, slides = io.BytesIO(), io.BytesIO()
    assert provider.fetch(items["Budget 2024"], DEFAULT_EXPORT_PLAN, sheet).content_mime == "text/csv"
    assert provider.fetch(items["Beta pitch deck"], DEFAULT_EXPORT_PLAN, slides).content_mime == "application/pdf"
    assert b"," in sheet.getvalue() and slides.getvalue().startswith(b"%PDF")
    assert items["Budget 2024"].mime_type == GOOGLE_SHEET and items["Beta pitch deck"].mime_type == GOOGLE_SLIDES


def test_export_over_ten_megabytes_is_too_large(seeded: Any, items: dict[str, RemoteItem]) -> None:
    out = io.BytesIO()
    with pytest.raises(ExportTooLargeError):
        seeded.provider().fetch(items["Transaction log export"], DEFAULT_EXPORT_PLAN, out)
    assert out.getvalue() == b""  # nothing half-written is left behind


def test_no_allowed_target_is_unsupported(seeded: Any, items: dict[str, RemoteItem]) -> None:
    with pytest.raises(UnsupportedContentError):
        seeded.provider().fetch(items["Alpha design doc"], ExportPlan({}), io.BytesIO())


def test_unexportable_target_is_skipped(seeded: Any, items: dict[str, RemoteItem]) -> None:
    plan = ExportPlan({GOOGLE_DOC: ("application/x-not-a-format", "text/plain")})
    provenance = seeded.provider().fetch(items["Alpha design doc"], plan, io.BytesIO())
    assert provenance.content_mime == "text/plain" and provenance.attempts == ("application/x-not-a-format",)


def test_fetching_a_vanished_file_is_not_found(seeded: Any, items: dict[str, RemoteItem]) -> None:
    ghost = RemoteItem(provider="google_drive", external_id="1doesNotExist", name="x.pdf", mime_type="application/pdf")
    with pytest.raises(NotFoundError):
        seeded.provider().fetch(ghost, DEFAULT_EXPORT_PLAN, io.BytesIO())
