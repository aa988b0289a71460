"""PDF: text of every page through pypdf, with precise errors for encrypted and corrupt files."""

from __future__ import annotations

import pathlib
from typing import BinaryIO

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, LimitReachedError

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract.model import ExtractionLimits, TextBudget
from connectors_pipeline.extract.normalize import normalize_text


def _open(stream: BinaryIO) -> PdfReader:
    # Readers accept junk before the header, but a file without one anywhere near the start is no PDF.
    if b"%PDF-" not in stream.read(1024):
        raise ExtractionError("corrupt PDF: no %PDF header (not a PDF file)")
    stream.seek(0)
    try:
        # pypdf reads from the open file lazily, object by object, instead of loading it whole.
        reader = PdfReader(stream)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            # Owner-password-only PDFs open with the empty user password; these need a real one.
            raise ExtractionError("encrypted PDF")
        _ = len(reader.pages)  # forces the page tree, where truncated files usually fail
    except ExtractionError:
        raise
    except DependencyError as exc:
        raise ExtractionError(f"encrypted PDF with an unsupported cipher: {exc}") from exc
    except LimitReachedError as exc:
        raise ExtractionError(f"PDF exceeds safety limits: {exc}") from exc
    except Exception as exc:  # pypdf raises many types (PdfReadError, ValueError, KeyError...) on bad input
        raise ExtractionError(f"corrupt PDF: {exc or type(exc).__name__}") from exc
    return reader


def _title(reader: PdfReader) -> str | None:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # a broken Info dictionary costs the title, not the document
        return None
    if not title:
        return None
    return " ".join(str(title).split()) or None


def extract_pdf(path: pathlib.Path, limits: ExtractionLimits) -> tuple[str, str | None]:
    with path.open("rb") as stream:
        reader = _open(stream)
        pages = len(reader.pages)
        if pages > limits.max_pdf_pages:
            raise ExtractionError(f"PDF has {pages} pages, more than the limit of {limits.max_pdf_pages}")
        budget = TextBudget(limits)
        texts: list[str] = []
        for number, page in enumerate(reader.pages, start=1):
            try:
                texts.append(budget.add(page.extract_text() or ""))
            except ExtractionError:
                raise  # the text budget, which is no fault of the page
            except LimitReachedError as exc:
                raise ExtractionError(f"PDF exceeds safety limits on page {number}: {exc}") from exc
            except Exception as exc:  # one unreadable page fails the document: nothing is silently dropped
                raise ExtractionError(f"corrupt PDF: page {number}: {exc or type(exc).__name__}") from exc
        return normalize_text("\n\n".join(texts)), _title(reader)
