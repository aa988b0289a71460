"""ZIP containers (DOCX today, XLSX/PPTX later): refuse decompression bombs and members that lie about
their size before any library inflates them."""

from __future__ import annotations

import os
import pathlib
import struct
import zipfile
import zlib
from typing import BinaryIO

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract.model import ExtractionLimits

# Small XML parts legitimately compress very well; the ratio test only matters for big members.
_RATIO_FLOOR_BYTES = 1024 * 1024
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature; the name and extra field lengths sit at offset 26
_CHUNK = 64 * 1024


def _check_declared(members: list[zipfile.ZipInfo], limits: ExtractionLimits, kind: str) -> None:
    if len(members) > limits.max_zip_members:
        raise ExtractionError(f"{kind} has {len(members)} parts, more than the limit of {limits.max_zip_members}")
    total = 0
    for member in members:
        total += member.file_size
        if total > limits.max_unzipped_bytes:
            raise ExtractionError(
                f"{kind} would unpack to more than {limits.max_unzipped_bytes} bytes (possible decompression bomb)"
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > _RATIO_FLOOR_BYTES and ratio > limits.max_zip_ratio:
            raise ExtractionError(
                f"{kind} part {member.filename!r} expands {ratio:.0f}:1, above the limit of "
                f"{limits.max_zip_ratio}:1 (possible decompression bomb)"
            )


def _check_inflated(archive: BinaryIO, member: zipfile.ZipInfo, kind: str) -> None:
    """Inflate one member in bounded steps and hold it to its declared size and CRC.

    Needed because zipfile's whole-member read (what python-docx uses) inflates all the compressed data
    in one call and only then cuts the output to the declared size: a member declaring 1 KB can still
    allocate gigabytes. Once every member ends exactly at its declared size, such reads are bounded too.
    """
    part = repr(member.filename)
    if member.flag_bits & 0x1:
        raise ExtractionError(f"{kind} part {part} is encrypted")
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ExtractionError(f"{kind} part {part} uses compression method {member.compress_type}, unsupported")
    archive.seek(member.header_offset)
    header = archive.read(_LOCAL_HEADER.size)
    signature, name_length, extra_length = (
        _LOCAL_HEADER.unpack(header) if len(header) == _LOCAL_HEADER.size else (b"", 0, 0)
    )
    if signature != b"PK\x03\x04":
        raise ExtractionError(f"corrupt {kind}: part {part} has no local header")
    archive.seek(name_length + extra_length, os.SEEK_CUR)
    inflater = zlib.decompressobj(-15) if member.compress_type == zipfile.ZIP_DEFLATED else None
    unread, produced, crc = member.compress_size, 0, 0
    try:
        while unread > 0:
            pending = archive.read(min(_CHUNK, unread))
            if not pending:
                raise ExtractionError(f"corrupt {kind}: part {part} is truncated")
            unread -= len(pending)
            while pending:
                # At most one byte past the declared size: enough to catch a lie, never enough to hurt.
                out = inflater.decompress(pending, member.file_size - produced + 1) if inflater else pending
                pending = inflater.unconsumed_tail if inflater else b""
                produced += len(out)
                if produced > member.file_size:
                    raise ExtractionError(
                        f"corrupt {kind}: part {part} inflates past its declared {member.file_size} bytes"
                    )
                crc = zlib.crc32(out, crc)
    except zlib.error as exc:
        raise ExtractionError(f"corrupt {kind}: part {part} is not valid deflate data ({exc})") from exc
    if produced != member.file_size or crc != member.CRC:
        raise ExtractionError(f"corrupt {kind}: part {part} does not match its declared size and checksum")


def check_zip(path: pathlib.Path, limits: ExtractionLimits, kind: str) -> None:
    """Judge the central directory first (cheap, refuses bombs without inflating a byte), then inflate every
    member once, in bounded steps, against what it declares."""
    try:
        with zipfile.ZipFile(path) as opened:
            members = opened.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ExtractionError(f"corrupt {kind}: not a readable ZIP archive ({exc})") from exc
    _check_declared(members, limits, kind)
    with path.open("rb") as archive:
        for member in members:
            _check_inflated(archive, member, kind)
