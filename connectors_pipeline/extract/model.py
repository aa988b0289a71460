"""The result of an extraction and the limits every extractor enforces."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from connectors_pipeline.domain.errors import ExtractionError


@dataclass(frozen=True)
class ExtractionLimits:
    """Bounds that keep one hostile or huge file from exhausting a sync's memory or time."""

    max_input_bytes: int = 100 * 1024 * 1024
    max_text_chars: int = 5_000_000
    max_pdf_pages: int = 2_000
    # CSV/TSV tables beyond this many data rows are cut with an explicit marker line.
    max_table_rows: int = 10_000
    # ZIP containers (DOCX): refuse before inflating anything when members declare more than this.
    max_unzipped_bytes: int = 512 * 1024 * 1024
    max_zip_ratio: int = 100
    max_zip_members: int = 10_000
    # Enforced around extract() by the worker process that runs it (extract/worker.py), not inside it:
    # a parser stuck in C code can only be stopped by killing its process.
    max_seconds: float = 60.0
    max_memory_bytes: int = 1024 * 1024 * 1024  # address space on top of the idle worker's (Linux)


DEFAULT_LIMITS = ExtractionLimits()


@dataclass(frozen=True)
class Extracted:
    """Normalized text for the vault, with what the vault uses to detect changes."""

    text: str
    title: str | None
    content_hash: str  # sha256 hex of `text` (UTF-8): the vault's second change gate
    extractor: str  # "pdf" | "docx" | "html" | "markdown" | "csv" | "text"

    @classmethod
    def of(cls, text: str, title: str | None, extractor: str) -> Extracted:
        return cls(text=text, title=title, content_hash=content_hash(text), extractor=extractor)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class TextBudget:
    """Counts characters as an extractor produces them, so a huge document fails early, not at the end.

    Normalization can shrink text (CRLF pairs, control characters, blank runs), so this streaming guard
    allows twice the limit; the exact limit is checked once more on the normalized text.
    """

    def __init__(self, limits: ExtractionLimits):
        self.limit = limits.max_text_chars
        self.used = 0

    def add(self, chunk: str) -> str:
        self.used += len(chunk)
        if self.used > 2 * self.limit:
            raise too_long(self.limit)
        return chunk


def too_long(limit: int) -> ExtractionError:
    return ExtractionError(f"text longer than {limit} characters")
