"""Upstream file names and paths made safe to store and show: no control or bidi characters, bounded length.

A name is chosen by whoever shared the file. Left as is, a right-to-left override makes
"report\u202etxt.exe" read as "reportexe.txt", and control characters rewrite terminals and logs.
The vault keeps the original in provenance; what it shows is this.
"""

from __future__ import annotations

import pathlib
import unicodedata

MAX_NAME_CHARS = 255
_KEPT_SUFFIX_CHARS = 16  # a longer "suffix" is part of the name, not a file extension
_ELLIPSIS = "\u2026"
# Embeddings, overrides, isolates and marks: they reorder or hide text without being visible.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def _visible(ch: str) -> str:
    """'' for characters that must go, ' ' for those that separate words, else the character itself."""
    if ch in _BIDI_CONTROLS:
        return ""
    if unicodedata.category(ch) in _UNSAFE_CATEGORIES:
        return " " if ch.isspace() else ""
    return ch


def display_name(name: str, limit: int = MAX_NAME_CHARS) -> str:
    """The name without control, bidi-control or separator characters, blanks collapsed, at most
    `limit` characters; a cut keeps the extension so the type still shows ("long…name.pdf")."""
    text = " ".join("".join(map(_visible, unicodedata.normalize("NFC", name or ""))).split())
    if len(text) <= limit:
        return text
    suffix = pathlib.PurePosixPath(text).suffix
    if len(suffix) > _KEPT_SUFFIX_CHARS or " " in suffix:
        suffix = ""
    return text[: limit - len(_ELLIPSIS) - len(suffix)].rstrip() + _ELLIPSIS + suffix


def display_path(path: str) -> str:
    """A "/a/b/name" path with every segment made a display name (providers already keep '/' out of
    segments, so splitting on it is exact)."""
    return "/".join(display_name(segment) if segment else "" for segment in path.split("/"))
