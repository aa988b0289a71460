"""Drive v3 metadata routes (about.get, files.list, changes) and request helpers all Drive routes share."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors_pipeline.sandbox import discovery
from connectors_pipeline.sandbox.drive_file import NATIVE_PREFIX, DriveFile, rfc3339
from connectors_pipeline.sandbox.drive_query import QueryError, compile_query
from connectors_pipeline.sandbox.drive_state import DriveAccount
from connectors_pipeline.sandbox.errors import (
    auth_error,
    google_error,
    invalid_param,
    json_response,
    not_found,
)
from connectors_pipeline.sandbox.fields import (
    FieldsError,
    FieldTree,
    apply_fields,
    parse_fields,
    validate_fields,
)
from connectors_pipeline.sandbox.oauth_grants import AccessToken
from connectors_pipeline.sandbox.state import SandboxState

DEFAULT_FILE_FIELDS: FieldTree = {"kind": None, "id": None, "name": None, "mimeType": None}
# Exact texts of the shared-drive parameter errors (recalled, not verified), kept here to adjust in one place.
CORPORA_MESSAGES = {
    "driveId": "The driveId parameter must be specified if and only if corpora is set to drive.",
    "includeItemsFromAllDrives": "The includeItemsFromAllDrives parameter can only be set to true "
    "when supportsAllDrives is also set to true.",
}
_DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
_CONTENT_SCOPES = {_DRIVE_SCOPE, _DRIVE_SCOPE + ".readonly", _DRIVE_SCOPE + ".file"}


class ApiError(Exception):
    """Raised inside handlers to answer with a ready-made Google error response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def sandbox(request: Request) -> SandboxState:
    return request.app.state.sandbox


def authenticate(request: Request, *, content: bool = False) -> tuple[DriveAccount, AccessToken]:
    """The caller's drive from `Authorization: Bearer` (or ?access_token=); 401 authError otherwise."""
    state = sandbox(request)
    header = request.headers.get("authorization", "")
    raw = header[7:].strip() if header.lower().startswith("bearer ") else request.query_params.get("access_token")
    tok = state.authenticate(raw) if raw else None
    if tok is None:
        raise ApiError(auth_error())
    request.scope["sandbox.record"].user = tok.email
    needed = _CONTENT_SCOPES if content else None
    if not any(s.startswith(_DRIVE_SCOPE) for s in tok.scopes) or (needed is not None and not needed & set(tok.scopes)):
        raise ApiError(google_error(403, "insufficientPermissions"))
    return state.drive(tok.email), tok


def bool_param(request: Request, name: str, default: bool) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() in ("true", "false"):  # googleapiclient sends lowercase; Google also takes True
        return raw.lower() == "true"
    raise ApiError(invalid_param(name, f"Invalid value '{raw}'. Values must be true or false."))


def int_param(request: Request, name: str, default: int, low: int = 1, high: int = 1000) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(invalid_param(name, f"Invalid value '{raw}'. Values must be integers.")) from None
    if value < low:
        raise ApiError(invalid_param(name, f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]"))
    return min(value, high)  # Drive coerces values above the maximum rather than failing


def select(request: Request, body: dict[str, Any], schema: str, default: FieldTree) -> dict[str, Any]:
    """Apply `fields` (validated against the discovery schema) or the method's default selection."""
    raw = request.query_params.get("fields")
    if raw is None or raw.strip() == "":
        return apply_fields(body, default)
    try:
        tree = parse_fields(raw)
        schemas = discovery.schemas("drive", "v3")
        validate_fields(tree, schemas[schema], schemas)
    except FieldsError as exc:
        raise ApiError(
            google_error(400, "invalidParameter", f"Invalid field selection {exc.field}", location="fields")
        ) from None
    return apply_fields(body, tree)


def export_links(request: Request, f: DriveFile) -> dict[str, str] | None:
    if not f.mime_type.startswith(NATIVE_PREFIX):
        return None
    from connectors_pipeline.sandbox.native_export import EXPORT_TARGETS

    targets = EXPORT_TARGETS.get(f.mime_type[len(NATIVE_PREFIX) :], ())
    base = discovery.base_url_of(request)
    return {t: f"{base}drive/v3/files/{f.id}/export?mimeType={t}" for t in targets} or None


def file_resource(request: Request, drive: DriveAccount, f: DriveFile) -> dict[str, Any]:
    return drive.resource(f, export_links(request, f))


def api(handler: Callable[[Request], Response]) -> Callable[[Request], Any]:
    """Turn ApiError into its response so handlers can bail out from helpers."""

    def guarded(request: Request) -> Response:
        try:
            return handler(request)
        except ApiError as exc:
            return exc.response

    async def endpoint(request: Request) -> Response:
        # Off the event loop: exports and big slices take CPU, and the state lock may be held by a test.
        return await run_in_threadpool(guarded, request)

    return endpoint


# ------------------------------------------------------------------------ about
def about_get(request: Request) -> Response:
    drive, _ = authenticate(request)
    if not request.query_params.get("fields"):
        raise ApiError(
            google_error(400, "required", "The 'fields' parameter is required for this method.", location="fields")
        )
    from connectors_pipeline.sandbox.native_export import EXPORT_TARGETS

    body = {
        "kind": "drive#about",
        "user": {k: v for k, v in drive.owner().items()},
        "storageQuota": {"limit": "16106127360", "usage": "0", "usageInDrive": "0", "usageInDriveTrash": "0"},
        "exportFormats": {f"{NATIVE_PREFIX}{k}": list(v) for k, v in EXPORT_TARGETS.items()},
        "importFormats": {},
        "maxUploadSize": "5242880000000",
        "appInstalled": False,
        "canCreateDrives": True,
    }
    return json_response(select(request, body, "About", {}))


# ------------------------------------------------------------------- files.list
_ORDER_KEYS: dict[str, Callable[[DriveFile], Any]] = {
    "createdTime": lambda f: f.created,
    "modifiedTime": lambda f: f.modified,
    "modifiedByMeTime": lambda f: f.modified,
    "viewedByMeTime": lambda f: f.modified,
    "sharedWithMeTime": lambda f: f.modified,
    "recency": lambda f: f.modified,
    "folder": lambda f: not f.is_folder,  # ascending puts folders first
    "name": lambda f: f.name.casefold(),
    "name_natural": lambda f: [
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", f.name.casefold())
    ],
    "quotaBytesUsed": lambda f: len(f.content or b""),
    "starred": lambda f: not f.starred,
}


def _order(files: list[DriveFile], order_by: str | None) -> list[DriveFile]:
    if not order_by:
        return files  # creation order: stable, so pagination without orderBy is consistent
    keys: list[tuple[str, bool]] = []
    for part in order_by.split(","):
        bits = part.split()
        if not bits or bits[0] not in _ORDER_KEYS or len(bits) > 2 or (len(bits) == 2 and bits[1] != "desc"):
            raise ApiError(invalid_param("orderBy", f"Invalid sort field: {part.strip()}"))
        keys.append((bits[0], len(bits) == 2))
    out = list(files)
    for key, desc in reversed(keys):  # stable sorts, least significant key first
        out.sort(key=_ORDER_KEYS[key], reverse=desc)
    return out


def _page_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "k": fingerprint}, separators=(",", ":")).encode()
    return "~!!~" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_page_token(token: str, fingerprint: str) -> int:
    try:
        raw = token.removeprefix("~!!~")
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if data["k"] != fingerprint or not isinstance(data["o"], int) or data["o"] < 0:
            raise ValueError
        return data["o"]
    except (ValueError, KeyError, TypeError):
        raise ApiError(invalid_param("pageToken")) from None


def _check_corpora(request: Request) -> None:
    q = request.query_params
    corpora = q.get("corpora", "user")
    if corpora not in ("user", "domain", "drive", "allDrives"):
        raise ApiError(invalid_param("corpora"))
    supports = bool_param(request, "supportsAllDrives", False) or bool_param(request, "supportsTeamDrives", False)
    include = bool_param(request, "includeItemsFromAllDrives", False) or bool_param(
        request, "includeTeamDriveItems", False
    )
    if include and not supports:
        raise ApiError(google_error(403, "forbidden", CORPORA_MESSAGES["includeItemsFromAllDrives"]))
    drive_id = q.get("driveId") or q.get("teamDriveId")
    if (corpora == "drive") != bool(drive_id):
        raise ApiError(invalid_param("driveId", CORPORA_MESSAGES["driveId"]))
    if corpora in ("drive", "allDrives") and not include:
        raise ApiError(google_error(403, "teamDriveIncludeItemsRequired"))
    if drive_id:  # the sandbox has no shared drives
        raise ApiError(google_error(404, "notFound", f"Shared drive not found: {drive_id}", location="driveId"))


def files_list(request: Request) -> Response:
    drive, _ = authenticate(request)
    q = request.query_params
    _check_corpora(request)
    spaces = {s.strip() for s in q.get("spaces", "drive").split(",")}
    if not spaces <= {"drive", "appDataFolder", "photos"}:
        raise ApiError(invalid_param("spaces"))
    page_size = int_param(request, "pageSize", 100)
    predicate = None
    if q.get("q"):
        try:
            predicate = compile_query(q["q"])
        except QueryError:
            raise ApiError(invalid_param("q")) from None
    view = "\x00".join([q.get("q", ""), q.get("orderBy", ""), ",".join(sorted(spaces))])
    fingerprint = hashlib.sha1(view.encode()).hexdigest()[:12]
    with sandbox(request).lock:
        if "drive" in spaces:
            # Evaluated once per drive state and reused by the following pages: paging stays linear.
            files = drive.matching_files(view, predicate, lambda fs: _order(fs, q.get("orderBy")))
        else:
            files = _order([], q.get("orderBy"))  # still 400 for a bad orderBy
        offset = _read_page_token(q["pageToken"], fingerprint) if q.get("pageToken") else 0
        page = files[offset : offset + page_size]
        body: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False}
        if offset + page_size < len(files):
            body["nextPageToken"] = _page_token(offset + page_size, fingerprint)
        body["files"] = [file_resource(request, drive, f) for f in page]
    default: FieldTree = {
        "kind": None,
        "incompleteSearch": None,
        "nextPageToken": None,
        "files": DEFAULT_FILE_FIELDS,
    }
    return json_response(select(request, body, "FileList", default))


# -------------------------------------------------------------------- files.get
def files_get_metadata(request: Request, drive: DriveAccount, file_id: str) -> Response:
    f = drive.lookup(file_id)
    if f is None:
        raise ApiError(not_found(file_id))
    body = file_resource(request, drive, f)
    return json_response(select(request, body, "File", DEFAULT_FILE_FIELDS))


# ---------------------------------------------------------------------- changes
def start_page_token(request: Request) -> Response:
    drive, _ = authenticate(request)
    drive_id = request.query_params.get("driveId")
    if drive_id:
        raise ApiError(google_error(404, "notFound", f"Shared drive not found: {drive_id}", location="driveId"))
    body = {"kind": "drive#startPageToken", "startPageToken": drive.start_page_token()}
    return json_response(select(request, body, "StartPageToken", {"kind": None, "startPageToken": None}))


def changes_list(request: Request) -> Response:
    drive, _ = authenticate(request)
    token = request.query_params.get("pageToken")
    if not token:
        raise ApiError(google_error(400, "required", "Required parameter: pageToken", location="pageToken"))
    page_size = int_param(request, "pageSize", 100)
    include_removed = bool_param(request, "includeRemoved", True)
    with sandbox(request).lock:
        try:
            entries, next_token, new_start = drive.changes_page(token, page_size, include_removed)
        except ValueError:
            raise ApiError(invalid_param("pageToken")) from None
        changes = []
        for entry, f in entries:
            change: dict[str, Any] = {
                "kind": "drive#change",
                "changeType": "file",
                "type": "file",
                "time": rfc3339(entry.time),
                "removed": f is None,
                "fileId": entry.file_id,
            }
            if f is not None:
                change["file"] = file_resource(request, drive, f)
            changes.append(change)
    body: dict[str, Any] = {"kind": "drive#changeList"}
    if next_token:
        body["nextPageToken"] = next_token
    else:
        body["newStartPageToken"] = new_start
    body["changes"] = changes
    change_default: FieldTree = {
        "kind": None,
        "changeType": None,
        "type": None,
        "time": None,
        "removed": None,
        "fileId": None,
        "file": DEFAULT_FILE_FIELDS,
    }
    default: FieldTree = {
        "kind": None,
        "nextPageToken": None,
        "newStartPageToken": None,
        "changes": change_default,
    }
    return json_response(select(request, body, "ChangeList", default))


routes = [
    Route("/drive/v3/about", api(about_get), methods=["GET"]),
    Route("/drive/v3/files", api(files_list), methods=["GET"]),
    Route("/drive/v3/changes/startPageToken", api(start_page_token), methods=["GET"]),
    Route("/drive/v3/changes", api(changes_list), methods=["GET"]),
]
