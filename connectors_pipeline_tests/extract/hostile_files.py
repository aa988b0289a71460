"""Hostile and broken files, built in memory, for the extraction tests and the pipeline's hostile-files test.

The bombs are honest: their compressed data really inflates to the size they declare. They are cheap
to build because deflate blocks ended by a full flush do not refer back across the flush, so one
compressed mebibyte of blanks can be repeated as often as wanted.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import docx
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, NameObject, StreamObject

MIB = 1024 * 1024
_BLANKS = b" " * MIB


def pdf(pages: list[str], title: str | None = None) -> bytes:
    document = FPDF()
    if title:
        document.set_title(title)
    document.set_font("helvetica", size=12)
    for text in pages:
        document.add_page()
        document.multi_cell(0, 10, text)
    return bytes(document.output())


def _rewrite(build) -> bytes:  # type: ignore[no-untyped-def]
    writer = PdfWriter()
    build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(text: str) -> bytes:
    """Needs the user password "s3cret" to open."""

    def build(writer: PdfWriter) -> None:
        writer.append(PdfReader(io.BytesIO(pdf([text]))))
        writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-256")

    return _rewrite(build)


def truncated_pdf() -> bytes:
    return pdf(["This document was cut off in transfer."])[:300]


def slow_pdf(pages: int = 1999) -> bytes:
    """Under 100 KB, under the page limit, but every page repeats one content stream of 20,000 no-op
    operators: minutes of parsing for no text (a slow-loris file)."""
    page = PdfReader(io.BytesIO(pdf(["slow page"]))).pages[0]

    def build(writer: PdfWriter) -> None:
        first = writer.add_page(page)
        stream = ContentStream(None, None)
        stream.set_data(b"q Q\n" * 20_000 + page.get_contents().get_data())
        first.replace_contents(stream)
        for _ in range(pages - 1):
            writer.add_page(first)

    return _rewrite(build)


def _deflated_blanks(inflated_bytes: int) -> bytes:
    """Raw deflate blocks (not final) that inflate to `inflated_bytes` blanks, a multiple of 1 MiB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(_BLANKS) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * (inflated_bytes // MIB)


def _deflated(data: bytes, final: bool) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def pdf_bomb(inflated_bytes: int = 1100 * MIB) -> bytes:
    """A one-page PDF whose content stream inflates to `inflated_bytes` of blanks (about 1 MB on disk)."""
    adler = 1
    for _ in range(inflated_bytes // MIB):
        adler = zlib.adler32(_BLANKS, adler)
    data = b"\x78\xda" + _deflated_blanks(inflated_bytes) + _deflated(b"", final=True) + struct.pack(">I", adler)
    page = PdfReader(io.BytesIO(pdf(["bomb"]))).pages[0]

    def build(writer: PdfWriter) -> None:
        added = writer.add_page(page)
        stream = StreamObject()
        stream.set_data(data)
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        added[NameObject("/Contents")] = writer._add_object(stream)

    return _rewrite(build)


def docx_file(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class ZipMember:
    name: str
    deflated: bytes  # raw deflate data, ending with a final block
    crc: int
    size: int  # the uncompressed size the archive declares


def _member(name: str, data: bytes) -> ZipMember:
    return ZipMember(name, _deflated(data, final=True), zlib.crc32(data), len(data))


def zip_archive(members: list[ZipMember]) -> bytes:
    """A ZIP file written by hand, so a member can declare any size, true or not."""
    out, directory = io.BytesIO(), io.BytesIO()
    for m in members:
        name = m.name.encode()
        offset = out.tell()
        out.write(
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, m.crc, len(m.deflated), m.size, len(name), 0)
        )
        out.write(name + m.deflated)
        directory.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                *(0x02014B50, 20, 20, 0, 8, 0, 0x21, m.crc, len(m.deflated), m.size, len(name)),
                *(0, 0, 0, 0, 0, offset),
            )
            + name
        )
    start, listing = out.tell(), directory.getvalue()
    out.write(listing)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(listing), start, 0))
    return out.getvalue()


def _docx_parts() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx_file("looks harmless"))) as opened:
        return {info.filename: opened.read(info) for info in opened.infolist()}


def _docx_with(document: ZipMember) -> bytes:
    """A python-docx document with its word/document.xml replaced by `document`."""
    parts = _docx_parts()
    return zip_archive([document if name == document.name else _member(name, data) for name, data in parts.items()])


def _split_body(xml: bytes) -> tuple[bytes, bytes]:
    cut = xml.index(b"<w:body>") + len(b"<w:body>")
    return xml[:cut], xml[cut:]


def bomb_docx(inflated_bytes: int = 1100 * MIB) -> bytes:
    """A DOCX whose word/document.xml really inflates to `inflated_bytes` (well-formed XML padded with
    blanks inside <w:body>), in about 1 MB."""
    head, tail = _split_body(_docx_parts()["word/document.xml"])
    crc = zlib.crc32(head)
    for _ in range(inflated_bytes // MIB):
        crc = zlib.crc32(_BLANKS, crc)
    crc = zlib.crc32(tail, crc)
    deflated = _deflated(head, final=False) + _deflated_blanks(inflated_bytes) + _deflated(tail, final=True)
    document = ZipMember("word/document.xml", deflated, crc, len(head) + inflated_bytes + len(tail))
    return _docx_with(document)


def lying_docx(declared_bytes: int = 20 * MIB, inflated_bytes: int = 1536 * MIB) -> bytes:
    """A DOCX whose word/document.xml declares `declared_bytes` but inflates to `inflated_bytes` (1.5 MB
    on disk). Its declared size and ratio pass the bomb checks, and zipfile's whole-member read, which
    python-docx uses, would inflate all of it before cutting the output to the declared size."""
    deflated = _deflated_blanks(inflated_bytes) + _deflated(b"", final=True)
    return _docx_with(ZipMember("word/document.xml", deflated, 0, declared_bytes))


def docx_of_paragraphs(texts: Iterable[str]) -> bytes:
    """A DOCX with one plain paragraph per text, its XML written directly (python-docx takes seconds to
    add tens of thousands of paragraphs)."""
    body = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in texts).encode()
    head, tail = _split_body(_docx_parts()["word/document.xml"])
    return _docx_with(_member("word/document.xml", head + body + tail))


def balloon_docx(paragraphs: int = 200_000) -> bytes:
    """A legitimate-looking DOCX of 23 MB of XML (9 MB zipped, ratio far below the bomb limit) that lxml
    needs well over 64 MiB to parse."""
    rng = random.Random(7)
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 9))) for _ in range(5000)]
    return docx_of_paragraphs(" ".join(rng.choices(words, k=12)) for _ in range(paragraphs))


def png() -> bytes:
    """A real 1x1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def deep_html(levels: int = 5000) -> bytes:
    return ("<html><body>" + "<div>" * levels + "deep" + "</div>" * levels + "</body></html>").encode()


def huge_text(chars: int = 12_000_000) -> bytes:
    line = b"a line of a very long log file\n"
    return line * (chars // len(line))
