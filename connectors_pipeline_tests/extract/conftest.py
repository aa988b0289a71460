"""Builders for real test documents: PDFs with fpdf2 and pypdf, DOCX with python-docx."""

from __future__ import annotations

import io
import pathlib
from collections.abc import Callable

import docx
import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter


def _make_pdf(pages: list[str], title: str | None = None) -> bytes:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


def _encrypt_pdf(data: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _make_docx(build: Callable[[docx.document.Document], None]) -> bytes:
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def write(tmp_path: pathlib.Path) -> Callable[[str, bytes | str], pathlib.Path]:
    """write(name, content) -> path of a file holding content (str is written as UTF-8)."""

    def _write(name: str, content: bytes | str) -> pathlib.Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return _write


# Builders are served as fixtures so test modules need no import path to this folder.
@pytest.fixture
def make_pdf() -> Callable[..., bytes]:
    """make_pdf(pages, title=None) -> PDF bytes with one page per string."""
    return _make_pdf


@pytest.fixture
def encrypt_pdf() -> Callable[..., bytes]:
    """encrypt_pdf(pdf_bytes, user_password, owner_password="owner") -> AES-256 encrypted PDF bytes."""
    return _encrypt_pdf


@pytest.fixture
def make_docx() -> Callable[..., bytes]:
    """make_docx(build) -> DOCX bytes of a new python-docx Document after build(document)."""
    return _make_docx
