"""Normalize extracted text so equal content always hashes equal, whatever format it came from."""

from __future__ import annotations

import re
import unicodedata

# Line and page separators that mean "new line" to a reader (PDF pages often end in a form feed).
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# C0 controls except tab and newline, DEL, C1 controls, lone surrogates (unencodable in UTF-8),
# the noncharacters U+FFFE/U+FFFF and stray byte order marks.
_UNWANTED = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\ufeff]")
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """NFC, `\\n` line ends, no control characters, no trailing spaces, at most one blank line in a row."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _UNWANTED.sub("", text)
    text = unicodedata.normalize("NFC", text)
    # Not a `[ \t]+$` regex: it backtracks quadratically on a long run of blanks that is not at a line end.
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()
