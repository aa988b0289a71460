"""Bytes of one item: files.get alt=media for binary files, files.export for Google-native ones.

Both stream through MediaIoBaseDownload in Range chunks, so memory is bounded by the chunk size
(exports are capped at 10 MB by Drive anyway). An export that fails for one target (too large,
unsupported) is discarded from `out` and the next target of the plan is tried.
"""

from __future__ import annotations

from typing import BinaryIO

from connectors_pipeline.domain.errors import ExportTooLargeError, UnsupportedContentError
from connectors_pipeline.domain.file_types import (
    GOOGLE_DOC,
    GOOGLE_DRAWING,
    GOOGLE_FOLDER,
    GOOGLE_SHEET,
    GOOGLE_SHORTCUT,
    GOOGLE_SLIDES,
    is_provider_native,
)
from connectors_pipeline.domain.items import Provenance, RemoteItem
from connectors_pipeline.providers.base import ExportPlan
from connectors_pipeline.providers.google_drive.client import DriveClient

DEFAULT_EXPORT_PLAN = ExportPlan(
    {
        GOOGLE_DOC: ("text/markdown", "text/plain"),
        GOOGLE_SHEET: ("text/csv",),
        GOOGLE_SLIDES: ("application/pdf", "text/plain"),
        GOOGLE_DRAWING: ("application/pdf",),
    }
)


def fetch_item(client: DriveClient, item: RemoteItem, plan: ExportPlan, out: BinaryIO, chunk_bytes: int) -> Provenance:
    if item.mime_type in (GOOGLE_FOLDER, GOOGLE_SHORTCUT):
        raise UnsupportedContentError(f"{item.mime_type} has no content to fetch")
    if is_provider_native(item.mime_type):
        return _export(client, item, plan, out, chunk_bytes)
    request = client.service.files().get_media(fileId=item.external_id)
    client.download(request, out, chunk_bytes, f"downloading file {item.external_id}", operation="download")
    return Provenance(method="download", source_mime=item.mime_type, content_mime=item.mime_type)


def _export(client: DriveClient, item: RemoteItem, plan: ExportPlan, out: BinaryIO, chunk_bytes: int) -> Provenance:
    targets = plan.targets.get(item.mime_type, ())
    if not targets:
        raise UnsupportedContentError(f"no allowed export format for {item.mime_type}")
    start = out.tell() if out.seekable() else None
    tried: list[str] = []
    too_large = False
    for target in targets:
        request = client.service.files().export_media(fileId=item.external_id, mimeType=target)
        try:
            client.download(
                request,
                out,
                chunk_bytes,
                f"exporting file {item.external_id} as {target}",
                operation="export",
            )
        except (ExportTooLargeError, UnsupportedContentError) as exc:
            too_large = too_large or isinstance(exc, ExportTooLargeError)
            tried.append(target)
            if start is None:
                raise  # cannot discard a partial attempt from a stream we cannot rewind
            out.seek(start)
            out.truncate()
            continue
        return Provenance(method="export", source_mime=item.mime_type, content_mime=target, attempts=tuple(tried))
    if too_large:
        raise ExportTooLargeError(
            f"file {item.external_id} is too large to export as any of {', '.join(targets)}"
            " (Drive's 10 MB export limit)"
        )
    raise UnsupportedContentError(f"file {item.external_id} could not be exported as any of {', '.join(targets)}")
