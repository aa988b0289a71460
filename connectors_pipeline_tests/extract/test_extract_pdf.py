"""PDF extraction: real fpdf2 documents, encrypted and corrupt files."""

from __future__ import annotations

import pytest

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract import ExtractionLimits, extract


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        (["Quarterly report for the board."], ["Quarterly report for the board."]),
        (["First page text.", "Second page text."], ["First page text.", "Second page text."]),
    ],
)
def test_pdf_text_is_extracted_page_by_page(write, make_pdf, pages, expected):
    result = extract(write("doc.pdf", make_pdf(pages, title="Board Report")), "application/pdf")
    for fragment in expected:
        assert fragment in result.text
    assert result.text.index(expected[0]) <= result.text.index(expected[-1])
    assert result.title == "Board Report"
    assert result.extractor == "pdf"


def test_pdf_without_metadata_title_has_none(write, make_pdf):
    assert extract(write("doc.pdf", make_pdf(["Body"])), "application/pdf").title is None


def test_pdf_needing_a_password_is_refused_precisely(write, make_pdf, encrypt_pdf):
    path = write("locked.pdf", encrypt_pdf(make_pdf(["Secret plans"]), user_password="s3cret"))
    with pytest.raises(ExtractionError, match=r"^encrypted PDF$"):
        extract(path, "application/pdf")


def test_pdf_with_only_an_owner_password_is_read(write, make_pdf, encrypt_pdf):
    path = write("owner-only.pdf", encrypt_pdf(make_pdf(["Printable but protected"]), user_password=""))
    assert "Printable but protected" in extract(path, "application/pdf").text


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a PDF at all",
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog",  # header, then nothing usable
        "truncated",
    ],
    ids=["garbage", "header-only", "truncated"],
)
def test_corrupt_pdf_is_refused_precisely(write, make_pdf, content):
    if content == "truncated":
        content = make_pdf(["Truncated document"])[:300]
    with pytest.raises(ExtractionError, match=r"^corrupt PDF: "):
        extract(write("bad.pdf", content), "application/pdf")


def test_pdf_page_limit(write, make_pdf):
    path = write("long.pdf", make_pdf(["a", "b", "c"]))
    with pytest.raises(ExtractionError, match="PDF has 3 pages, more than the limit of 2"):
        extract(path, "application/pdf", limits=ExtractionLimits(max_pdf_pages=2))
