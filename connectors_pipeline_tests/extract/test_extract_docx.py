"""DOCX extraction: structure to Markdown, corrupt files, decompression bombs refused before inflating."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.domain.file_types import DOCX
from connectors_pipeline.extract import ExtractionLimits, extract
from connectors_pipeline.extract import docx as docx_extractor


def _report(document) -> None:
    document.core_properties.title = "Plan 2025"
    document.add_heading("Roadmap", level=1)
    paragraph = document.add_paragraph("Intro with ")
    paragraph.add_run("bold").bold = True
    paragraph.add_run(" and ")
    paragraph.add_run("italic").italic = True
    paragraph.add_run(" words.")
    document.add_heading("Goals", level=2)
    document.add_paragraph("Ship sync", style="List Bullet")
    document.add_paragraph("Nested point", style="List Bullet 2")
    document.add_paragraph("Add Notion", style="List Bullet")
    document.add_paragraph("Step one", style="List Number")
    document.add_paragraph("Step two", style="List Number")
    table = document.add_table(rows=3, cols=2)
    for (row, col), text in {
        (0, 0): "Name",
        (0, 1): "Owner",
        (1, 0): "Drive | sync",
        (1, 1): "Ana",
        (2, 0): "Notion",
        (2, 1): "Line one\nLine two",
    }.items():
        table.cell(row, col).text = text
    document.add_paragraph("After the table.")


def test_docx_structure_becomes_markdown(write, make_docx):
    result = extract(write("plan.docx", make_docx(_report)), DOCX)
    assert result.extractor == "docx"
    assert result.title == "Plan 2025"
    assert result.text == (
        "# Roadmap\n\n"
        "Intro with **bold** and *italic* words.\n\n"
        "## Goals\n\n"
        "- Ship sync\n  - Nested point\n- Add Notion\n\n"
        "1. Step one\n1. Step two\n\n"
        "| Name | Owner |\n| --- | --- |\n| Drive \\| sync | Ana |\n| Notion | Line one<br>Line two |\n\n"
        "After the table."
    )


def test_docx_title_falls_back_to_title_paragraph(write, make_docx):
    path = write("t.docx", make_docx(lambda d: (d.add_heading("The Heading", level=0), d.add_paragraph("x"))))
    result = extract(path, DOCX)
    assert result.title == "The Heading"
    assert result.text.startswith("# The Heading")


def test_docx_hyperlink_becomes_markdown_link(write, make_docx):
    def build(document) -> None:
        paragraph = document.add_paragraph("See ")
        part = document.part
        r_id = part.relate_to(
            "https://example.com/spec",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
            is_external=True,
        )
        link = paragraph._p.makeelement(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}hyperlink",
            {"{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id": r_id},
        )
        run = paragraph.add_run("the spec")._r
        link.append(run)
        paragraph._p.append(link)

    assert extract(write("link.docx", make_docx(build)), DOCX).text == "See [the spec](https://example.com/spec)"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 definitely not a zip", r"^corrupt DOCX: not a readable ZIP archive"),
        (b"plain text renamed to .docx", r"^corrupt DOCX: not a readable ZIP archive"),
        ("zip-without-word-parts", r"^corrupt DOCX: "),
    ],
)
def test_corrupt_docx_is_refused_precisely(write, content, message):
    if content == "zip-without-word-parts":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "not a word document")
        content = buffer.getvalue()
    with pytest.raises(ExtractionError, match=message):
        extract(write("bad.docx", content), DOCX)


@pytest.fixture(scope="module")
def bomb_docx() -> bytes:
    """A valid DOCX plus a member of 200 MB of zeros that deflates to about 200 KB."""
    buffer = io.BytesIO()
    document = docx_extractor.docx.Document()
    document.add_paragraph("looks harmless")
    document.save(buffer)
    with zipfile.ZipFile(buffer, "a") as archive:
        member = zipfile.ZipInfo("word/media/zeros.bin")
        member.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(member, "w") as out:
            chunk = bytes(1024 * 1024)
            for _ in range(200):  # streamed, so the test never holds 200 MB either
                out.write(chunk)
    return buffer.getvalue()


def test_docx_decompression_bomb_is_refused_without_inflating(write, bomb_docx, monkeypatch):
    declared = zipfile.ZipFile(io.BytesIO(bomb_docx)).getinfo("word/media/zeros.bin")
    assert declared.file_size == 200 * 1024 * 1024 and declared.compress_size < 1024 * 1024

    def must_not_open(*_args, **_kwargs):
        raise AssertionError("python-docx must not open a suspected bomb")

    monkeypatch.setattr(docx_extractor.docx, "Document", must_not_open)
    started = time.monotonic()
    with pytest.raises(ExtractionError, match=r"zeros.bin' expands \d+:1.*possible decompression bomb"):
        extract(write("bomb.docx", bomb_docx), DOCX)
    assert time.monotonic() - started < 1.0


def test_docx_total_unpacked_size_limit(write, make_docx):
    path = write("small.docx", make_docx(lambda d: d.add_paragraph("hello")))
    with pytest.raises(ExtractionError, match=r"would unpack to more than 1000 bytes"):
        extract(path, DOCX, limits=ExtractionLimits(max_unzipped_bytes=1000))


def test_docx_direct_numbering_is_a_list(write, make_docx):
    """Google Docs and Word often number Normal paragraphs directly (w:numPr) instead of by list style."""

    def build(document) -> None:
        def style_num_id(style: str) -> int:
            return int(document.styles[style].element.xpath(".//w:numId/@w:val")[0])

        for text, style, level in [
            ("ordered a", "List Number", 0),
            ("ordered b", "List Number", 0),
            ("nested bullet", "List Bullet", 1),
        ]:
            num_pr = document.add_paragraph(text)._p.get_or_add_pPr()._add_numPr()
            num_pr._add_ilvl().val = level
            num_pr._add_numId().val = style_num_id(style)
        document.add_paragraph("after")

    text = extract(write("numbered.docx", make_docx(build)), DOCX).text
    assert text == "1. ordered a\n1. ordered b\n  - nested bullet\n\nafter"
