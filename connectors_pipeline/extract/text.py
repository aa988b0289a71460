"""Plain text: decode bytes of unknown encoding without ever failing on invalid UTF-8."""

from __future__ import annotations

import codecs
import pathlib

from connectors_pipeline.extract.model import ExtractionLimits, TextBudget
from connectors_pipeline.extract.normalize import normalize_text

_CHUNK = 1024 * 1024

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class _NotThisEncoding(Exception):
    pass


def _sniff(head: bytes) -> tuple[str | None, int]:
    """(encoding, BOM length) from a byte order mark, or from the zero bytes of BOM-less UTF-16."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, len(bom)
    sample = head[: 4096 - 4096 % 2]
    if len(sample) >= 4:
        # Mostly-ASCII UTF-16 has a zero in every other byte; UTF-8 text practically never does.
        even_zeros = sample[0::2].count(0) / (len(sample) // 2)
        odd_zeros = sample[1::2].count(0) / (len(sample) // 2)
        if odd_zeros > 0.4 and even_zeros < 0.05:
            return "utf-16-le", 0
        if even_zeros > 0.4 and odd_zeros < 0.05:
            return "utf-16-be", 0
    return None, 0


def _decode_stream(path: pathlib.Path, encoding: str, skip: int, errors: str, limits: ExtractionLimits) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    budget = TextBudget(limits)
    parts: list[str] = []
    with path.open("rb") as f:
        f.seek(skip)
        try:
            while chunk := f.read(_CHUNK):
                parts.append(budget.add(decoder.decode(chunk)))
            parts.append(budget.add(decoder.decode(b"", final=True)))
        except UnicodeDecodeError as exc:
            raise _NotThisEncoding from exc
    return "".join(parts)


def _usable(encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None  # an unknown charset label from upstream must not stop us: fall back to sniffing


def read_text(path: pathlib.Path, limits: ExtractionLimits, charset: str | None = None) -> str:
    """Decode a file: BOM, declared charset, BOM-less UTF-16, UTF-8, cp1252, then Latin-1 with replacement."""
    with path.open("rb") as f:
        head = f.read(4096)
    sniffed, skip = _sniff(head)
    if sniffed and skip:
        # A BOM is the strongest evidence there is; decode leniently rather than guess further.
        return _decode_stream(path, sniffed, skip, "replace", limits)
    candidates = [c for c in (_usable(charset), sniffed, "utf-8", "cp1252") if c]
    for encoding in dict.fromkeys(candidates):
        try:
            return _decode_stream(path, encoding, 0, "strict", limits)
        except _NotThisEncoding:
            continue
    # Latin-1 maps every byte, so this cannot fail; the result is readable for Western text.
    return _decode_stream(path, "latin-1", 0, "replace", limits)


def extract_text(path: pathlib.Path, limits: ExtractionLimits, charset: str | None = None) -> tuple[str, None]:
    return normalize_text(read_text(path, limits, charset)), None
