"""Hostile and broken files: each is extracted safely or refused with a precise reason, quickly, through
the same worker processes the sync uses, and no reason gives away where the blob lives."""

from __future__ import annotations

import re
import time

import pytest

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.domain.file_types import DOCX
from connectors_pipeline.extract import Extracted, ExtractionLimits, extract
from connectors_pipeline.extract.names import MAX_NAME_CHARS, display_name, display_path
from connectors_pipeline.sync.extraction_pool import extract_all
from connectors_pipeline_tests.extract import hostile_files as hostile

# (id, file name, declared MIME type, bytes, expected: a regex the skip reason matches, or the text)
REFUSED = [
    ("truncated-pdf", "report.pdf", "application/pdf", hostile.truncated_pdf, r"corrupt PDF: .+"),
    ("encrypted-pdf", "locked.pdf", "application/pdf", lambda: hostile.encrypted_pdf("Secret"), r"encrypted PDF"),
    (
        "pdf-bomb",
        "bomb.pdf",
        "application/pdf",
        hostile.pdf_bomb,
        r"PDF exceeds safety limits on page 1: Limit reached while decompressing.*",
    ),
    (
        "docx-bomb-1.1-GiB",
        "bomb.docx",
        DOCX,
        hostile.bomb_docx,
        r"DOCX would unpack to more than 536870912 bytes \(possible decompression bomb\)",
    ),
    (
        "docx-lying-about-its-size",
        "liar.docx",
        DOCX,
        hostile.lying_docx,
        r"corrupt DOCX: part 'word/document\.xml' inflates past its declared 20971520 bytes",
    ),
    ("huge-text", "huge.log.txt", "text/plain", hostile.huge_text, r"text longer than 5000000 characters"),
    (
        "png-declared-pdf",
        "photo.pdf",
        "application/pdf",
        hostile.png,
        r"content type mismatch: the bytes are a PNG image, not a PDF document as declared \('application/pdf'\)",
    ),
    (
        "pdf-declared-text",
        "notes.txt",
        "text/plain",
        lambda: hostile.pdf(["hidden"]),
        r"content type mismatch: the bytes are a PDF document, not plain text as declared \('text/plain'\)",
    ),
    (
        "docx-declared-pdf",
        "minutes.pdf",
        "application/pdf",
        lambda: hostile.docx_file("minutes"),
        r"content type mismatch: the bytes are a ZIP archive, not a PDF document as declared \('application/pdf'\)",
    ),
    (
        "text-declared-pdf",
        "readme.pdf",
        "application/pdf",
        lambda: b"just some text saved with a .pdf name",
        r"corrupt PDF: no %PDF header \(not a PDF file\)",
    ),
    ("deeply-nested-html", "deep.html", "text/html", hostile.deep_html, r"HTML nested too deeply to convert"),
]

ACCEPTED = [
    ("invalid-utf8", "latin.txt", "text/plain", lambda: b"caf\xe9 cr\xe8me \xff\xfe end", "café crème ÿþ end"),
    ("empty-text", "empty.txt", "text/plain", lambda: b"", ""),
    ("empty-pdf", "empty.pdf", "application/pdf", lambda: b"", ""),
    ("text-named-pdf", "notes.pdf", "text/plain", lambda: b"plain words", "plain words"),
    ("pdf-declared-generic", "scan", "application/octet-stream", lambda: hostile.pdf(["Scanned words"]), None),
]


@pytest.mark.parametrize(("name", "mime", "build", "reason"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_hostile_file_is_refused_with_a_precise_reason(tmp_path, name, mime, build, reason):
    path = tmp_path / "blob"
    path.write_bytes(build())
    started = time.monotonic()

    [result] = extract_all([(path, mime, name)])

    assert isinstance(result, ExtractionError), result
    assert re.fullmatch(reason, str(result)), str(result)
    assert str(tmp_path) not in str(result)
    assert time.monotonic() - started < 10, "refused by a check, not by the deadline"


@pytest.mark.parametrize(("name", "mime", "build", "text"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_broken_but_harmless_file_is_extracted(tmp_path, name, mime, build, text):
    path = tmp_path / "blob"
    path.write_bytes(build())

    [result] = extract_all([(path, mime, name)])

    assert isinstance(result, Extracted), result
    if text is None:
        assert result.extractor == "pdf" and "Scanned words" in result.text
    else:
        assert result.text == text


def test_huge_text_is_refused_while_reading_within_a_budget_smaller_than_the_file(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(hostile.huge_text(60_000_000))  # 60 MB; a whole-file read alone would need more

    [result] = extract_all([(path, "text/plain", "huge.txt")], limits=ExtractionLimits(max_memory_bytes=48 << 20))

    assert str(result) == "text longer than 5000000 characters"


def test_docx_part_lying_about_its_size_is_refused_after_inflating_no_more_than_it_declares(tmp_path):
    """1.5 GiB behind a declared 20 MiB: refused within a 64 MiB memory budget, for what it is."""
    path = tmp_path / "blob"
    path.write_bytes(hostile.lying_docx())
    started = time.monotonic()

    [result] = extract_all([(path, DOCX, "liar.docx")], limits=ExtractionLimits(max_memory_bytes=64 << 20))

    assert str(result) == "corrupt DOCX: part 'word/document.xml' inflates past its declared 20971520 bytes"
    assert time.monotonic() - started < 5.0


def test_markdown_heading_of_blanks_takes_linear_time(tmp_path):
    path = tmp_path / "heading.md"
    path.write_text("# a" + " \t" * 500_000 + "x\n\nbody\n", encoding="utf-8")
    started = time.monotonic()
    result = extract(path, "text/markdown")
    assert result.title == "a x"
    assert time.monotonic() - started < 2.0  # the former pattern backtracked for hours on this line


def test_long_run_of_blanks_inside_a_line_is_normalized_in_linear_time(tmp_path):
    path = tmp_path / "blanks.txt"
    path.write_text("x" + " \t" * 1_000_000 + "y \n", encoding="utf-8")
    started = time.monotonic()
    result = extract(path, "text/plain")
    assert result.text == "x" + " \t" * 1_000_000 + "y"
    assert time.monotonic() - started < 2.0  # a `[ \t]+$` pattern backtracked quadratically here


def test_csv_full_of_quotes_is_sniffed_quickly(tmp_path):
    path = tmp_path / "quotes.csv"
    path.write_text(", '" * 100_000, encoding="utf-8")
    started = time.monotonic()
    result = extract(path, "text/csv")
    assert result.extractor == "csv"
    assert time.monotonic() - started < 4.0  # sniffing a 64 KiB sample of this took 15 s


def test_long_docx_takes_linear_time(tmp_path):
    path = tmp_path / "long.docx"
    path.write_bytes(hostile.docx_of_paragraphs(f"paragraph {n}" for n in range(20_000)))
    started = time.monotonic()
    result = extract(path, DOCX)
    assert result.text.count("\n\nparagraph ") == 19_999 and "paragraph 19999" in result.text
    assert time.monotonic() - started < 5.0  # a style lookup per paragraph made this take half a minute


def test_embedded_title_is_made_safe_and_bounded_like_a_name(tmp_path):
    path = tmp_path / "titled.pdf"
    path.write_bytes(hostile.pdf(["body"], title="\u202eevil " + "T" * 100_000))
    assert extract(path, "application/pdf").title == "evil " + "T" * (MAX_NAME_CHARS - 6) + "\u2026"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "../../etc/passwd"),  # harmless text in a title; paths never come from names
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # the override would have shown "invoiceexe.pdf"
        ("nul\x00in\x00name.txt", "nulinname.txt"),
        ("bell\x07 and \x1b[31mANSI\x1b[0m.txt", "bell and [31mANSI[0m.txt"),
        ("two\nlines\u2028and\ttab.md", "two lines and tab.md"),
        ("  \u200f\u2066spaced   out\u2069  ", "spaced out"),
        (
            "family \U0001f468\u200d\U0001f469\u200d\U0001f467.txt",
            "family \U0001f468\u200d\U0001f469\u200d\U0001f467.txt",
        ),
        ("cafe\u0301.txt", "caf\u00e9.txt"),
        ("\x00\x01\u202e", ""),
    ],
    ids=[
        "traversal",
        "rtl-override",
        "nul",
        "control-and-ansi",
        "separators",
        "bidi-marks",
        "zwj-emoji",
        "nfc",
        "nothing-left",
    ],
)
def test_display_name_neutralises_control_and_bidi_characters(raw, shown):
    assert display_name(raw) == shown


def test_display_name_of_a_thousand_characters_keeps_its_extension():
    shown = display_name("x" * 1000 + ".pdf")
    assert len(shown) == MAX_NAME_CHARS
    assert shown.endswith("x\u2026.pdf")
    assert len(display_name("y" * 1000)) == MAX_NAME_CHARS


def test_display_path_makes_every_segment_safe():
    assert display_path("/Shared\u202e/../etc\x07/" + "z" * 300 + ".txt") == (
        "/Shared/../etc/" + "z" * (MAX_NAME_CHARS - 5) + "\u2026.txt"
    )
