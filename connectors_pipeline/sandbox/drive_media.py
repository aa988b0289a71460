"""Drive v3 content routes: files.get (metadata or alt=media with Range) and files.export."""

from __future__ import annotations

import re
from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from connectors_pipeline.sandbox.drive import (
    ApiError,
    api,
    authenticate,
    files_get_metadata,
    sandbox,
)
from connectors_pipeline.sandbox.drive_file import FOLDER_MIME, NATIVE_PREFIX, SHORTCUT_MIME
from connectors_pipeline.sandbox.errors import google_error, invalid_param, not_found

_CHUNK = 1024 * 1024
_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


def _chunks(data: bytes, start: int, end: int) -> Iterator[bytes]:
    """Stream a slice without copying the whole file (a memoryview slice is free)."""
    view = memoryview(data)
    for pos in range(start, end, _CHUNK):
        yield bytes(view[pos : min(pos + _CHUNK, end)])


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(start, end_exclusive) for one satisfiable range; None = whole file; "unsatisfiable" for 416."""
    if not header:
        return None
    m = _RANGE_RE.match(header)
    if not m or (not m.group(1) and not m.group(2)):
        return None  # malformed or multi-range: RFC 9110 lets a server ignore it and send everything
    first, last = m.group(1), m.group(2)
    if not first:  # suffix range: the last N bytes
        n = int(last)
        return (max(size - n, 0), size) if n > 0 and size > 0 else "unsatisfiable"
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or (last and int(last) < start):
        return "unsatisfiable"
    return start, end


def download(request: Request, file_id: str) -> Response:
    """alt=media: the stored bytes, honouring Range with 206 + Content-Range; never gzip-encoded."""
    drive, _ = authenticate(request, content=True)
    with sandbox(request).lock:
        f = drive.lookup(file_id)
        if f is None:
            raise ApiError(not_found(file_id))
        if f.mime_type.startswith(NATIVE_PREFIX) or f.content is None:
            raise ApiError(google_error(403, "fileNotDownloadable", location="alt"))
        data, mime = f.content, f.mime_type
    size = len(data)
    if size == 0:
        # googleapiclient's MediaIoBaseDownload finishes on 200 with Content-Length 0.
        return Response(b"", status_code=200, media_type=mime, headers={"Content-Length": "0"})
    wanted = _parse_range(request.headers.get("range"), size)
    if wanted == "unsatisfiable":
        return Response(b"", status_code=416, headers={"Content-Range": f"bytes */{size}"})
    headers = {"Accept-Ranges": "bytes", "Content-Disposition": "attachment"}
    if wanted is None:
        start, end, status = 0, size, 200
    else:
        assert isinstance(wanted, tuple)
        start, end = wanted
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    return StreamingResponse(_chunks(data, start, end), status_code=status, media_type=mime, headers=headers)


def export_file(request: Request, file_id: str) -> Response:
    """files.export: convert a Docs Editors file; 403 exportSizeLimitExceeded above the size limit."""
    from connectors_pipeline.sandbox.corpus import NativeDocument
    from connectors_pipeline.sandbox.native_export import (
        EXPORT_TARGETS,
        ExportSizeLimitExceeded,
        exceeds_export_limit,
        export_native,
    )

    drive, _ = authenticate(request, content=True)
    target = request.query_params.get("mimeType")
    if not target:
        raise ApiError(google_error(400, "required", "Required parameter: mimeType", location="mimeType"))
    state = sandbox(request)
    with state.lock:
        f = drive.lookup(file_id)
        if f is None:
            raise ApiError(not_found(file_id))
        mime, native, name = f.mime_type, f.native, f.name
        limit = state.export_size_limit
    kind = mime[len(NATIVE_PREFIX) :] if mime.startswith(NATIVE_PREFIX) else ""
    if not kind or mime in (FOLDER_MIME, SHORTCUT_MIME) or kind not in EXPORT_TARGETS:
        raise ApiError(google_error(403, "fileNotExportable", location="fileId"))
    if target not in EXPORT_TARGETS[kind]:
        raise ApiError(
            google_error(400, "badRequest", "The requested conversion is not supported.", location="convertTo")
        )
    doc = native if native is not None else NativeDocument(kind=kind, title=name)
    too_large = google_error(403, "exportSizeLimitExceeded")
    if exceeds_export_limit(doc):  # cheap check first: do not build a huge export only to refuse it
        raise ApiError(too_large)
    try:
        data = export_native(doc, target)
    except ExportSizeLimitExceeded:
        raise ApiError(too_large) from None
    except ValueError:
        raise ApiError(
            google_error(400, "badRequest", "The requested conversion is not supported.", location="convertTo")
        ) from None
    if len(data) > limit:  # tests may lower the limit below the real 10 MB
        raise ApiError(too_large)
    # Exports ignore Range: the whole document comes back with 200, which MediaIoBaseDownload accepts.
    return Response(
        data,
        media_type=target,
        headers={"Content-Disposition": "attachment", "Content-Length": str(len(data))},
    )


def files_get(request: Request) -> Response:
    """files.get: JSON metadata by default, the content with alt=media."""
    file_id = request.path_params["fileId"]
    alt = request.query_params.get("alt", "json")
    if alt == "media":
        return download(request, file_id)
    if alt != "json":
        raise ApiError(invalid_param("alt"))
    drive, _ = authenticate(request)
    return files_get_metadata(request, drive, file_id)


def files_export(request: Request) -> Response:
    return export_file(request, request.path_params["fileId"])


routes = [
    Route("/drive/v3/files/{fileId}", api(files_get), methods=["GET"]),
    Route("/drive/v3/files/{fileId}/export", api(files_export), methods=["GET"]),
]
