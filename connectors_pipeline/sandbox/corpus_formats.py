"""Byte-exact, deterministic writers for the sandbox corpus: PDF (fpdf2), DOCX (python-docx), ZIP, PNG."""

from __future__ import annotations

import io
import struct
import textwrap
import unicodedata
import zipfile
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from fpdf import FPDF

# Every timestamp written into a generated file, so the same seed gives the same bytes.
FIXED_TIME = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

# A block of rich text, shared by the PDF and DOCX writers:
#   ("h", level, text) heading (level 0 = title) · ("p", text) paragraph · ("li", text) bullet item
#   ("ol", n, text) numbered item · ("table", rows) rows of cell strings.
Block = tuple[Any, ...]

_PDF_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2022": "-",
        "\u2026": "...",
        "\u2713": "v",
        "\u00a0": " ",
    }
)


def pdf_safe(text: str) -> str:
    """Text the fpdf2 core fonts can draw: they are latin-1 only, so fold or replace the rest."""
    text = text.translate(_PDF_PUNCTUATION)
    if all(ord(ch) < 256 for ch in text):
        return text
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
        else:
            # Decompose (e.g. 'ł' has none, 'ő' -> 'o' + accent) and keep the latin-1 base, else '?'.
            base = unicodedata.normalize("NFKD", ch)[:1]
            out.append(base if base and ord(base) < 256 else "?")
    return "".join(out)


def _new_pdf(title: str, landscape: bool = False) -> FPDF:
    pdf = FPDF(orientation="L" if landscape else "P", format="A4")
    pdf.set_creation_date(FIXED_TIME)
    pdf.set_title(pdf_safe(title))
    pdf.set_author("connectors_pipeline sandbox")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    return pdf


def _wrap_width(pdf: FPDF, size: float) -> int:
    # Own line wrapping: fpdf2's multi_cell is ~10x slower and the benchmark makes hundreds of PDFs.
    # Helvetica averages about half an em per character; leave a margin for wide letters.
    usable_mm = pdf.w - pdf.l_margin - pdf.r_margin
    return max(20, int(usable_mm / (size * 0.3528 * 0.56)))


def _line(pdf: FPDF, text: str, size: float, style: str = "", indent: float = 0.0) -> None:
    pdf.set_font("helvetica", style=style, size=size)
    chunks = textwrap.wrap(pdf_safe(text), _wrap_width(pdf, size))
    if not chunks:
        pdf.ln(size * 0.5)  # fpdf2 refuses an empty cell; an empty line is just vertical space
    for chunk in chunks:
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(h=size * 0.5, text=chunk, new_x="LMARGIN", new_y="NEXT")


def _fit(pdf: FPDF, text: str, width: float) -> str:
    text = pdf_safe(text)
    while text and pdf.get_string_width(text) > width - 2:
        text = text[:-1]
    return text


def _table(pdf: FPDF, rows: Sequence[Sequence[str]]) -> None:
    cols = max((len(r) for r in rows), default=0)
    if not cols:
        return
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    # Columns as wide as their longest cell, so text stays whole (and searchable) when it fits;
    # squeezed proportionally (and cells clipped) only when the row is wider than the page.
    pdf.set_font("helvetica", style="B", size=8)
    needed = [
        max(pdf.get_string_width(pdf_safe(row[j])) + 3 if j < len(row) else 3 for row in rows) for j in range(cols)
    ]
    scale = min(1.0, usable / sum(needed))
    widths = [w * scale for w in needed]
    for i, row in enumerate(rows):
        pdf.set_font("helvetica", style="B" if i == 0 else "", size=8)
        for j in range(cols):
            cell = row[j] if j < len(row) else ""
            text = pdf_safe(cell) if scale == 1.0 else _fit(pdf, cell, widths[j])
            pdf.cell(w=widths[j], h=5, text=text, border=1)
        pdf.ln(5)
    pdf.ln(2)


def render_pdf(title: str, pages: Sequence[Sequence[Block]], landscape: bool = False) -> bytes:
    """A PDF with one page per element of `pages` (a long page flows onto more pages)."""
    pdf = _new_pdf(title, landscape)
    for blocks in pages:
        pdf.add_page()
        for block in blocks:
            kind = block[0]
            if kind == "h":
                pdf.ln(2)
                _line(pdf, block[2], (20, 16, 13, 12)[min(block[1], 3)], "B")
                pdf.ln(1)
            elif kind == "p":
                _line(pdf, block[1], 11)
                pdf.ln(2)
            elif kind == "li":
                _line(pdf, f"- {block[1]}", 11, indent=5)
            elif kind == "ol":
                _line(pdf, f"{block[1]}. {block[2]}", 11, indent=5)
            elif kind == "table":
                _table(pdf, block[1])
    return bytes(pdf.output())


# --- ZIP -------------------------------------------------------------------------------------------

_DOS_TIME = (FIXED_TIME.hour << 11) | (FIXED_TIME.minute << 5) | (FIXED_TIME.second // 2)
_DOS_DATE = ((FIXED_TIME.year - 1980) << 9) | (FIXED_TIME.month << 5) | FIXED_TIME.day


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


_VARYING_PARTS = frozenset({"word/document.xml", "docProps/core.xml"})


@lru_cache(maxsize=64)
def _deflate_cached(data: bytes) -> bytes:
    return _deflate(data)


def write_zip(entries: Sequence[tuple[str, bytes]]) -> bytes:
    """A deflated ZIP with fixed timestamps (zipfile stamps the current time on writestr)."""
    out = io.BytesIO()
    central = []
    for name, data in entries:
        raw_name = name.encode("utf-8")
        # Every DOCX repeats python-docx's ~800 kB of styles; compressing them per file would
        # dominate the time to build a 2,000-file corpus, so parts other than the body are cached.
        cacheable = len(data) > 4096 and name not in _VARYING_PARTS
        packed = _deflate_cached(data) if cacheable else _deflate(data)
        crc = zlib.crc32(data)
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0x800,
                8,
                _DOS_TIME,
                _DOS_DATE,
                crc,
                len(packed),
                len(data),
                len(raw_name),
                0,
            )
        )
        out.write(raw_name + packed)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0x800,
                8,
                _DOS_TIME,
                _DOS_DATE,
                crc,
                len(packed),
                len(data),
                len(raw_name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + raw_name
        )
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def normalize_zip(data: bytes) -> bytes:
    """Rewrite a ZIP (e.g. python-docx output) with fixed timestamps, keeping entry order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return write_zip([(info.filename, archive.read(info)) for info in archive.infolist()])


# --- DOCX ------------------------------------------------------------------------------------------


def _docx_document(title: str) -> Any:
    import docx  # deferred: python-docx loads lxml and its template, only needed for DOCX

    document = docx.Document()
    props = document.core_properties
    props.title, props.author, props.last_modified_by = title, "connectors_pipeline sandbox", "sandbox"
    props.created = props.modified = props.last_printed = FIXED_TIME.replace(tzinfo=None)
    props.revision = 1
    return document


def build_docx(title: str, blocks: Sequence[Block]) -> bytes:
    """A DOCX built block by block with python-docx (for exports; ~20 ms, see `quick_docx`)."""
    document = _docx_document(title)
    for block in blocks:
        kind = block[0]
        if kind == "h":
            document.add_heading(block[2], min(block[1], 9))
        elif kind == "p":
            document.add_paragraph(block[1])
        elif kind == "li":
            document.add_paragraph(block[1], style="List Bullet")
        elif kind == "ol":
            document.add_paragraph(block[2], style="List Number")
        elif kind == "table":
            rows = block[1]
            cols = max((len(r) for r in rows), default=0)
            if not cols:
                continue
            table = document.add_table(rows=len(rows), cols=cols)
            table.style = "Table Grid"
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    table.cell(i, j).text = cell
    buffer = io.BytesIO()
    document.save(buffer)
    return normalize_zip(buffer.getvalue())


_SLOTS = ("TITLE", "H1", "P1", "H2", "P2", "P3") + tuple(f"T{i}{j}" for i in range(3) for j in range(3))


def _slot(name: str) -> str:
    return f"QQSLOT{name}QQ"


@lru_cache(maxsize=1)
def _docx_template() -> tuple[tuple[str, bytes], ...]:
    """python-docx output with placeholder text, made once; `quick_docx` fills the placeholders."""
    blocks: list[Block] = [
        ("h", 0, _slot("TITLE")),
        ("h", 1, _slot("H1")),
        ("p", _slot("P1")),
        ("h", 2, _slot("H2")),
        ("p", _slot("P2")),
        ("p", _slot("P3")),
        ("table", [[_slot(f"T{i}{j}") for j in range(3)] for i in range(3)]),
    ]
    with zipfile.ZipFile(io.BytesIO(build_docx(_slot("TITLE"), blocks))) as archive:
        return tuple((info.filename, archive.read(info)) for info in archive.infolist())


def _xml_text(text: str) -> str:
    # XML 1.0 forbids most control characters; escape markup characters.
    text = "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 0x20)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quick_docx(
    title: str, headings: tuple[str, str], paragraphs: tuple[str, str, str], table: Sequence[Sequence[str]]
) -> bytes:
    """A DOCX (title, two headings, three paragraphs, a 3x3 table) in well under a millisecond.

    Same structure and bytes python-docx would write, with the text substituted into the cached
    template's XML, because building each of thousands of corpus files with python-docx is too slow.
    """
    values = {
        "TITLE": title,
        "H1": headings[0],
        "H2": headings[1],
        "P1": paragraphs[0],
        "P2": paragraphs[1],
        "P3": paragraphs[2],
    }
    values.update({f"T{i}{j}": table[i][j] for i in range(3) for j in range(3)})
    entries = []
    for name, data in _docx_template():
        if name in ("word/document.xml", "docProps/core.xml"):
            text = data.decode("utf-8")
            for slot in _SLOTS:
                text = text.replace(_slot(slot), _xml_text(values[slot]))
            data = text.encode("utf-8")
        entries.append((name, data))
    return write_zip(entries)


# --- PNG -------------------------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def render_png(width: int, height: int, seed: int = 0) -> bytes:
    """A small real RGB PNG: a coloured background with a darker rectangle (a 'drawing')."""
    back = bytes(((seed * 53) % 200 + 40, (seed * 97) % 200 + 40, (seed * 29) % 200 + 40))
    ink = bytes(c // 3 for c in back)
    rows = []
    for y in range(height):
        inside_y = height // 4 <= y < 3 * height // 4
        row = b"".join(ink if inside_y and width // 4 <= x < 3 * width // 4 else back for x in range(width))
        rows.append(b"\x00" + row)  # filter type 0 (none) per scanline
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _png_chunk(b"IEND", b"")
    )
