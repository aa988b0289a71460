"""Exports of Google-native documents match Drive's formats and rules and are deterministic."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import docx
import pytest
from pypdf import PdfReader

from connectors_pipeline.domain.file_types import DOCX
from connectors_pipeline.sandbox.corpus import NativeDocument, generate_corpus
from connectors_pipeline.sandbox.corpus_text import marker_word
from connectors_pipeline.sandbox.native_export import (
    EXPORT_TARGETS,
    ExportSizeLimitExceeded,
    exceeds_export_limit,
    export_native,
)

Natives = dict[str, tuple[int, NativeDocument]]  # label -> (corpus index, document)


@pytest.fixture(scope="module")
def natives() -> Natives:
    corpus = generate_corpus(seed=4, files=1, oversize_bytes=1024)
    return {f.label: (i, f.native) for i, f in enumerate(corpus) if f.native is not None}


def _pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_export_targets_are_a_subset_of_what_drive_offers() -> None:
    drive = {
        "document": {
            DOCX,
            "application/vnd.oasis.opendocument.text",
            "application/rtf",
            "application/pdf",
            "text/plain",
            "text/html",
            "application/zip",
            "application/epub+zip",
            "text/markdown",
        },
        "spreadsheet": {
            "application/pdf",
            "text/csv",
            "text/tab-separated-values",
            "application/zip",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.oasis.opendocument.spreadsheet",
        },
        "presentation": {
            "application/pdf",
            "text/plain",
            "image/jpeg",
            "image/png",
            "image/svg+xml",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/vnd.oasis.opendocument.presentation",
        },
        "drawing": {"application/pdf", "image/jpeg", "image/png", "image/svg+xml"},
    }
    assert set(EXPORT_TARGETS) == set(drive)
    for kind, targets in EXPORT_TARGETS.items():
        assert set(targets) <= drive[kind]
    assert "text/markdown" in EXPORT_TARGETS["document"] and "text/csv" in EXPORT_TARGETS["spreadsheet"]


def test_every_listed_target_exports_deterministically(natives: Natives) -> None:
    for label in ("google_doc", "google_sheet", "google_slides", "google_drawing"):
        _, doc = natives[label]
        for target in EXPORT_TARGETS[doc.kind]:
            first = export_native(doc, target)
            export_native.cache_clear()
            assert first and export_native(doc, target) == first, (label, target)


def test_unsupported_target_raises_value_error(natives: Natives) -> None:
    _, doc = natives["google_doc"]
    _, sheet = natives["google_sheet"]
    with pytest.raises(ValueError):
        export_native(doc, "text/csv")
    with pytest.raises(ValueError):
        export_native(sheet, "text/markdown")
    with pytest.raises(ValueError):
        export_native(doc, "application/vnd.oasis.opendocument.text")  # real, but not emulated


def test_document_markdown_export_is_the_body(natives: Natives) -> None:
    _, doc = natives["google_doc"]
    assert export_native(doc, "text/markdown").decode("utf-8") == doc.markdown


def test_document_plain_text_has_no_markdown_syntax(natives: Natives) -> None:
    index, doc = natives["google_doc"]
    text = export_native(doc, "text/plain").decode("utf-8")
    assert text.startswith("\ufeff")  # Docs' text export starts with a byte-order mark
    assert marker_word(index) in text and doc.title in text
    for syntax in ("# ", "**", "](", "| ---", "|"):
        assert syntax not in text


def test_document_html_export_has_structure_and_link(natives: Natives) -> None:
    index, doc = natives["google_doc"]
    page = export_native(doc, "text/html").decode("utf-8")
    for tag in (
        "<h1>",
        "<h2>",
        "<ul>",
        "<ol>",
        "<table>",
        f'<a href="https://wiki.example.com/{marker_word(index)}"',
    ):
        assert tag in page


def test_document_pdf_and_docx_exports_carry_the_text(natives: Natives) -> None:
    index, doc = natives["google_doc"]
    assert marker_word(index) in "\n".join(_pdf_pages(export_native(doc, "application/pdf")))
    document = docx.Document(io.BytesIO(export_native(doc, DOCX)))
    styles = [p.style.name for p in document.paragraphs]
    assert "Heading 1" in styles and "List Bullet" in styles and "List Number" in styles
    assert marker_word(index) in "\n".join(p.text for p in document.paragraphs)
    assert len(document.tables) == 1


def test_sheet_csv_export_has_only_the_first_sheet(natives: Natives) -> None:
    index, sheet = natives["google_sheet"]
    (first_name, first_rows), (_, second_rows) = sheet.sheets
    rows = list(csv.reader(io.StringIO(export_native(sheet, "text/csv").decode("utf-8"))))
    assert rows == [list(row) for row in first_rows]
    text = export_native(sheet, "text/csv").decode("utf-8")
    assert marker_word(index) in text
    assert not any(cell in text for row in second_rows[1:] for cell in row)
    tsv = export_native(sheet, "text/tab-separated-values").decode("utf-8")
    assert list(csv.reader(io.StringIO(tsv), delimiter="\t")) == rows


def test_sheet_pdf_export_shows_every_sheet(natives: Natives) -> None:
    _, sheet = natives["google_sheet"]
    text = "\n".join(_pdf_pages(export_native(sheet, "application/pdf")))
    for name, rows in sheet.sheets:
        assert name in text and rows[1][0] in text


def test_slides_pdf_export_has_one_page_per_slide(natives: Natives) -> None:
    index, slides = natives["google_slides"]
    pages = _pdf_pages(export_native(slides, "application/pdf"))
    assert len(pages) == len(slides.slides)
    for page, slide in zip(pages, slides.slides, strict=True):
        for line in slide.split("\n"):
            assert " ".join(line.split()) in " ".join(page.split())
    assert marker_word(index) in pages[0]
    assert export_native(slides, "text/plain").decode("utf-8").lstrip("\ufeff").startswith(slides.slides[0])


def test_svg_exports_are_xml_with_text(natives: Natives) -> None:
    for label in ("google_slides", "google_drawing"):
        index, doc = natives[label]
        root = ET.fromstring(export_native(doc, "image/svg+xml"))
        texts = [el.text or "" for el in root.iter("{http://www.w3.org/2000/svg}text")]
        assert any(marker_word(index) in t for t in texts)


def test_drawing_png_and_pdf_exports(natives: Natives) -> None:
    index, drawing = natives["google_drawing"]
    assert export_native(drawing, "image/png").startswith(b"\x89PNG\r\n\x1a\n")
    assert marker_word(index) in _pdf_pages(export_native(drawing, "application/pdf"))[0]


def test_export_of_huge_document_raises_size_limit(natives: Natives) -> None:
    _, big = natives["export_too_large"]
    assert exceeds_export_limit(big)
    for target in ("text/markdown", "text/plain", "application/pdf"):
        with pytest.raises(ExportSizeLimitExceeded):
            export_native(big, target)
    _, small = natives["google_doc"]
    assert not exceeds_export_limit(small)


def test_empty_native_documents_export_every_target() -> None:
    # A native file created through the API (e.g. by a test) has no body yet.
    for kind, targets in EXPORT_TARGETS.items():
        for target in targets:
            assert isinstance(export_native(NativeDocument(kind, "Untitled"), target), bytes)
