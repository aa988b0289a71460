"""Choose the extractor for a MIME type checked against the file's leading bytes, enforce the limits,
and package the result."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from functools import partial

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.domain.file_types import DOCX
from connectors_pipeline.extract.csv import extract_csv
from connectors_pipeline.extract.docx import extract_docx
from connectors_pipeline.extract.email import extract_email
from connectors_pipeline.extract.html import extract_html
from connectors_pipeline.extract.markdown import extract_markdown
from connectors_pipeline.extract.model import DEFAULT_LIMITS, Extracted, ExtractionLimits, too_long
from connectors_pipeline.extract.names import display_name
from connectors_pipeline.extract.normalize import normalize_text
from connectors_pipeline.extract.pdf import extract_pdf
from connectors_pipeline.extract.signatures import HEAD_BYTES, Signature, signature_of
from connectors_pipeline.extract.text import extract_text

# An extractor takes (path, limits, charset) and returns (normalized text, title).
Extractor = Callable[[pathlib.Path, ExtractionLimits, str | None], tuple[str, str | None]]

_BY_MIME: dict[str, tuple[str, Extractor]] = {
    "text/markdown": ("markdown", extract_markdown),
    "text/x-markdown": ("markdown", extract_markdown),
    "text/plain": ("text", extract_text),
    "text/html": ("html", extract_html),
    "application/xhtml+xml": ("html", extract_html),
    "text/csv": ("csv", extract_csv),
    "text/tab-separated-values": ("csv", partial(extract_csv, delimiter="\t")),
    "application/pdf": ("pdf", lambda path, limits, _charset: extract_pdf(path, limits)),
    DOCX: ("docx", lambda path, limits, _charset: extract_docx(path, limits)),
    "message/rfc822": ("email", extract_email),
}

# Upstream often labels files generically; then the file name is the only hint there is.
_GENERIC_MIMES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/x-unknown"})
_MIME_BY_SUFFIX = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".pdf": "application/pdf",
    ".docx": DOCX,
    ".eml": "message/rfc822",
}


# The signature the bytes of a binary format must carry. Text formats carry none, so for them any
# recognised signature means the declared type lies (a PNG uploaded as text/plain would decode to junk).
_REQUIRED_SIGNATURE = {"pdf": "pdf", "docx": "zip"}
_KIND_LABEL = {
    "pdf": "a PDF document",
    "docx": "a DOCX document",
    "markdown": "Markdown text",
    "text": "plain text",
    "html": "HTML",
    "csv": "CSV text",
    "email": "an e-mail message",
}


def _parse_mime(mime_type: str) -> tuple[str, str | None]:
    """('text/plain', 'utf-16') from 'text/plain; charset="UTF-16"'."""
    media_type, *params = mime_type.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media_type.strip().lower(), charset


def _choose(media_type: str, name: str | None, signature: Signature | None) -> tuple[str, Extractor] | None:
    suffix = pathlib.PurePath(name).suffix.lower() if name else ""
    if media_type in _GENERIC_MIMES and signature is not None and signature.kind == "pdf":
        media_type = "application/pdf"  # the bytes are a stronger hint than the name
    elif media_type in _GENERIC_MIMES and suffix in _MIME_BY_SUFFIX:
        media_type = _MIME_BY_SUFFIX[suffix]
    elif media_type == "text/plain" and _MIME_BY_SUFFIX.get(suffix) == "text/markdown":
        media_type = "text/markdown"  # .md files are frequently served as text/plain
    return _BY_MIME.get(media_type)


def _check_signature(kind: str, signature: Signature | None, mime_type: str) -> None:
    """Refuse bytes that are provably another format than the one the extractor was chosen for."""
    if signature is None or signature.kind == _REQUIRED_SIGNATURE.get(kind):
        return
    raise ExtractionError(
        f"content type mismatch: the bytes are {signature.description}, "
        f"not {_KIND_LABEL[kind]} as declared ({mime_type!r})"
    )


def _head(path: pathlib.Path) -> bytes:
    with path.open("rb") as f:
        return f.read(HEAD_BYTES)


def extract(
    path: pathlib.Path, mime_type: str, *, name: str | None = None, limits: ExtractionLimits = DEFAULT_LIMITS
) -> Extracted:
    """Normalized text of the file at `path`; ExtractionError says precisely why when there is none.

    Empty input gives empty text (the pipeline decides what that means). A missing or unreadable file is
    not bad input but a pipeline fault, so its OSError propagates unchanged. Time and memory are not
    bounded here: run this through a worker process (extract/worker.py) for that.
    """
    path = pathlib.Path(path)
    size = path.stat().st_size
    if size > limits.max_input_bytes:
        raise ExtractionError(f"input is {size} bytes, more than the limit of {limits.max_input_bytes} bytes")
    media_type, charset = _parse_mime(mime_type)
    signature = signature_of(_head(path)) if size else None
    chosen = _choose(media_type, name, signature)
    if chosen is None:
        raise ExtractionError(f"unsupported content type {mime_type!r}")
    kind, extractor = chosen
    if size == 0:
        return Extracted.of("", None, kind)
    _check_signature(kind, signature, mime_type)
    text, title = extractor(path, limits, charset)
    if len(text) > limits.max_text_chars:
        raise too_long(limits.max_text_chars)
    # Embedded titles (PDF metadata, <title>) are as untrusted as file names, and unbounded.
    title = display_name(normalize_text(title)) if title else None
    return Extracted.of(text, title or None, kind)
