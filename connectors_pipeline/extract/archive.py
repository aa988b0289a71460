"""ZIP containers (DOCX today, XLSX/PPTX later): refuse decompression bombs before inflating anything."""

from __future__ import annotations

import pathlib
import zipfile

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract.model import ExtractionLimits

# Small XML parts legitimately compress very well; the ratio test only matters for big members.
_RATIO_FLOOR_BYTES = 1024 * 1024


def check_zip(path: pathlib.Path, limits: ExtractionLimits, kind: str) -> None:
    """Judge the central directory only. Declared sizes are enough: zipfile stops inflating a member at
    its declared size and then fails the CRC check, so a member that lies about its size cannot grow."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ExtractionError(f"corrupt {kind}: not a readable ZIP archive ({exc})") from exc
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
