"""What a file's first bytes say it is, whatever MIME type upstream declared for it.

Only signatures that text practically never starts with are listed, so a plain-text file is never
mistaken for a binary one; a file that matches none is left to the extractor of its declared type.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD_BYTES = 64  # every signature below lies within this many leading bytes


@dataclass(frozen=True)
class Signature:
    kind: str  # "pdf", "zip", "png"...: the extractor kinds "pdf" and "zip" (DOCX) are matched against it
    description: str  # for skip details: "a PNG image"


# (magic bytes, offset, signature); RIFF containers are told apart by the form type at offset 8.
_SIGNATURES: tuple[tuple[bytes, int, Signature], ...] = (
    (b"%PDF-", 0, Signature("pdf", "a PDF document")),
    (b"PK\x03\x04", 0, Signature("zip", "a ZIP archive")),
    (b"PK\x05\x06", 0, Signature("zip", "an empty ZIP archive")),
    (b"\x89PNG\r\n\x1a\n", 0, Signature("png", "a PNG image")),
    (b"\xff\xd8\xff", 0, Signature("jpeg", "a JPEG image")),
    (b"GIF87a", 0, Signature("gif", "a GIF image")),
    (b"GIF89a", 0, Signature("gif", "a GIF image")),
    (b"II*\x00", 0, Signature("tiff", "a TIFF image")),
    (b"MM\x00*", 0, Signature("tiff", "a TIFF image")),
    (b"WEBP", 8, Signature("webp", "a WebP image")),
    (b"WAVE", 8, Signature("wav", "a WAV audio file")),
    (b"ftyp", 4, Signature("mp4", "an MP4/QuickTime media file")),
    (b"OggS", 0, Signature("ogg", "an Ogg media file")),
    (b"\x1f\x8b", 0, Signature("gzip", "gzip-compressed data")),
    (b"7z\xbc\xaf\x27\x1c", 0, Signature("7z", "a 7-Zip archive")),
    (b"Rar!\x1a\x07", 0, Signature("rar", "a RAR archive")),
    (b"\xfd7zXZ\x00", 0, Signature("xz", "xz-compressed data")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, Signature("ole", "a legacy Microsoft Office (OLE2) file")),
    (b"\x7fELF", 0, Signature("elf", "an ELF executable")),
    (b"SQLite format 3\x00", 0, Signature("sqlite", "an SQLite database")),
)


def signature_of(head: bytes) -> Signature | None:
    """The format the leading bytes prove, or None when they prove nothing (text, or unknown)."""
    for magic, offset, signature in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if offset == 8 and head[:4] != b"RIFF":
                continue
            return signature
    return None
