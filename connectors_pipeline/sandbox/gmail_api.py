"""Gmail v1 routes: users.getProfile, labels.list, messages.list/get, attachments.get, history.list.

Shapes follow the reference (§3): `messages` is absent from an empty list, `history` from an empty
history page, ids are uint64 strings, bodies are base64url, an out-of-date startHistoryId is 404.
The gmail.metadata scope is refused `q`, `format=full|raw` and attachments with 403, as Gmail does.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors_pipeline.sandbox.drive import ApiError, api, bool_param, int_param, sandbox
from connectors_pipeline.sandbox.errors import auth_error, google_error, invalid_param, json_response
from connectors_pipeline.sandbox.gmail_mime import b64url, body_bytes, parse_mime, payload_tree, walk_parts
from connectors_pipeline.sandbox.gmail_query import QueryError, compile_query
from connectors_pipeline.sandbox.gmail_state import HISTORY_TYPES, HistoryRecord, Mailbox, Message

_GMAIL = "https://www.googleapis.com/auth/gmail."
_CONTENT_SCOPES = {"https://mail.google.com/", _GMAIL + "readonly", _GMAIL + "modify"}
_METADATA_SCOPE = _GMAIL + "metadata"
_FORMATS = ("minimal", "full", "raw", "metadata")
_SPAM_TRASH = {"SPAM", "TRASH"}
_HISTORY_KEYS = {
    "messageAdded": "messagesAdded",
    "messageDeleted": "messagesDeleted",
    "labelAdded": "labelsAdded",
    "labelRemoved": "labelsRemoved",
}
_ATTACHMENT_PREFIX = "ANGjdJ"
_nonce = itertools.count(1)  # a new attachment id on every read, as Gmail's are not stable


def authenticate(request: Request) -> tuple[Mailbox, bool]:
    """The caller's mailbox, and whether its token may read content (not only gmail.metadata)."""
    state = sandbox(request)
    header = request.headers.get("authorization", "")
    raw = header[7:].strip() if header.lower().startswith("bearer ") else request.query_params.get("access_token")
    tok = state.authenticate(raw) if raw else None
    if tok is None:
        raise ApiError(auth_error())
    request.scope["sandbox.record"].user = tok.email
    scopes = set(tok.scopes)
    content = bool(scopes & _CONTENT_SCOPES)
    if not content and _METADATA_SCOPE not in scopes:
        raise ApiError(google_error(403, "insufficientPermissions", grpc_status="PERMISSION_DENIED"))
    user_id = request.path_params["userId"]
    if user_id != "me" and user_id.lower() != tok.email.lower():
        raise ApiError(google_error(403, "forbidden", f"Delegation denied for {user_id}"))
    return state.mailbox(tok.email), content


def _metadata_refusal(what: str) -> ApiError:
    return ApiError(google_error(403, "forbidden", what, grpc_status="PERMISSION_DENIED"))


def _not_found() -> ApiError:
    return ApiError(google_error(404, "notFound", "Requested entity was not found.", grpc_status="NOT_FOUND"))


def _token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _untoken(raw: str, name: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        raise ApiError(invalid_param(name, f"Invalid {name}")) from None


# ---------------------------------------------------------------------------- profile, labels
def get_profile(request: Request) -> Response:
    mailbox, _ = authenticate(request)
    return json_response(mailbox.profile())


def list_labels(request: Request) -> Response:
    mailbox, _ = authenticate(request)
    with mailbox.lock:
        return json_response({"labels": [label.resource() for label in mailbox.labels.values()]})


# ---------------------------------------------------------------------------- messages
def list_messages(request: Request) -> Response:
    mailbox, content = authenticate(request)
    params = request.query_params
    q = params.get("q", "").strip()
    if q and not content:
        raise _metadata_refusal("Metadata scope does not support 'q' parameter")
    label_ids = params.getlist("labelIds")
    limit = int_param(request, "maxResults", 100, high=500)
    spam_trash = bool_param(request, "includeSpamTrash", False) or bool(_SPAM_TRASH & set(label_ids))
    with mailbox.lock:
        matches = None
        if q:
            try:
                compiled = compile_query(q, mailbox.labels, mailbox.now_ms())
            except QueryError:
                raise ApiError(google_error(400, "invalidArgument", "Invalid query", location="q")) from None
            matches, spam_trash = compiled.matches, spam_trash or compiled.reaches_spam_trash
        found = [
            m
            for m in mailbox.messages.values()
            if all(lid in m.label_ids for lid in label_ids)
            and (spam_trash or not _SPAM_TRASH & set(m.label_ids))
            and (matches is None or matches(m))
        ]
    found.sort(key=lambda m: (m.internal_date, m.id), reverse=True)  # newest first, like Gmail
    start = 0
    if params.get("pageToken"):
        after = _untoken(params["pageToken"], "pageToken")
        if not (isinstance(after, list) and len(after) == 2 and isinstance(after[0], int)):
            raise ApiError(invalid_param("pageToken", "Invalid pageToken"))
        after = (after[0], str(after[1]))
        start = next((i for i, m in enumerate(found) if (m.internal_date, m.id) < after), len(found))
    page = found[start : start + limit]
    body: dict[str, Any] = {}
    if page:
        body["messages"] = [m.ref() for m in page]
    if start + limit < len(found):
        body["nextPageToken"] = _token([page[-1].internal_date, page[-1].id])
    body["resultSizeEstimate"] = len(found)
    return json_response(body)


def _message(mailbox: Mailbox, msg_id: str) -> Message:
    msg = mailbox.message(msg_id)
    if msg is None:
        raise _not_found()
    return msg


def get_message(request: Request) -> Response:
    mailbox, content = authenticate(request)
    fmt = request.query_params.get("format", "full")
    if fmt not in _FORMATS:
        raise ApiError(invalid_param("format", f"Invalid value at 'format' ({fmt})", reason="invalidArgument"))
    if fmt in ("full", "raw") and not content:
        raise _metadata_refusal(f"Metadata scope doesn't allow format {fmt.upper()}")
    msg = _message(mailbox, request.path_params["id"])
    body: dict[str, Any] = {"id": msg.id, "threadId": msg.thread_id}
    if msg.label_ids:
        body["labelIds"] = list(msg.label_ids)
    body |= {"snippet": msg.parsed.snippet, "sizeEstimate": msg.size_estimate, "historyId": str(msg.history_id)}
    body["internalDate"] = str(msg.internal_date)
    if fmt == "metadata":
        wanted = {name.lower() for name in request.query_params.getlist("metadataHeaders")}
        headers = [h for h in msg.parsed.headers if not wanted or h["name"].lower() in wanted]
        root = parse_mime(msg.raw)
        body["payload"] = {"partId": "", "mimeType": root.get_content_type(), "filename": "", "headers": headers}
    elif fmt == "full":
        nonce = next(_nonce)
        body["payload"] = payload_tree(parse_mime(msg.raw), "", lambda pid: _attachment_id(msg.id, pid, nonce))
    elif fmt == "raw":
        body["raw"] = b64url(msg.raw)
    return json_response(body)


def _attachment_id(msg_id: str, part_id: str, nonce: int) -> str:
    return _ATTACHMENT_PREFIX + _token([msg_id, part_id, nonce])


def get_attachment(request: Request) -> Response:
    mailbox, content = authenticate(request)
    if not content:
        raise _metadata_refusal("Metadata scope doesn't allow format FULL")
    msg = _message(mailbox, request.path_params["messageId"])
    raw_id = request.path_params["id"]
    decoded = _untoken(raw_id[len(_ATTACHMENT_PREFIX) :], "id") if raw_id.startswith(_ATTACHMENT_PREFIX) else None
    if not (isinstance(decoded, list) and len(decoded) == 3 and decoded[0] == msg.id):
        raise ApiError(google_error(400, "invalidArgument", "Invalid attachment token", location="id"))
    part = next((p for pid, p in walk_parts(parse_mime(msg.raw)) if pid == decoded[1]), None)
    if part is None:
        raise _not_found()
    data = body_bytes(part)
    return json_response({"size": len(data), "data": b64url(data)})


# ---------------------------------------------------------------------------- history
def _history_entry(record: HistoryRecord) -> dict[str, Any]:
    message = record.message
    ref = {"id": message["id"], "threadId": message["threadId"]}
    change: dict[str, Any] = {"message": message}
    if record.type in ("labelAdded", "labelRemoved"):
        change["labelIds"] = list(record.label_ids)
    return {"id": str(record.id), "messages": [ref], _HISTORY_KEYS[record.type]: [change]}


def list_history(request: Request) -> Response:
    mailbox, _ = authenticate(request)
    params = request.query_params
    raw_start = params.get("startHistoryId")
    if not raw_start:
        raise ApiError(google_error(400, "required", "Required parameter: startHistoryId", location="startHistoryId"))
    if not raw_start.isdigit():
        raise ApiError(invalid_param("startHistoryId", f"Invalid startHistoryId: {raw_start}"))
    start = int(raw_start)
    types = params.getlist("historyTypes") or list(HISTORY_TYPES)
    bad = [t for t in types if t not in HISTORY_TYPES]
    if bad:
        raise ApiError(invalid_param("historyTypes", f"Invalid value at 'history_types' ({bad[0]})"))
    label_id = params.get("labelId")
    limit = int_param(request, "maxResults", 100, high=500)
    with mailbox.lock:
        if start < mailbox.oldest_history_id or start > mailbox.history_id:
            raise _not_found()  # too old (or never issued): the caller must do a full sync
        current = mailbox.history_id
        after = _untoken(params["pageToken"], "pageToken") if params.get("pageToken") else start
        if not isinstance(after, int):
            raise ApiError(invalid_param("pageToken", "Invalid pageToken"))
        records = [
            r
            for r in mailbox.history_after(max(start, after))
            if r.type in types and (label_id is None or label_id in r.touched_labels)
        ]
    page = records[:limit]
    body: dict[str, Any] = {}
    if page:
        body["history"] = [_history_entry(r) for r in page]
    if len(records) > limit:
        body["nextPageToken"] = _token(page[-1].id)
    body["historyId"] = str(current)
    return json_response(body)


_BASE = "/gmail/v1/users/{userId}"
routes = [
    Route(f"{_BASE}/profile", api(get_profile), methods=["GET"]),
    Route(f"{_BASE}/labels", api(list_labels), methods=["GET"]),
    Route(f"{_BASE}/messages", api(list_messages), methods=["GET"]),
    Route(f"{_BASE}/messages/{{id}}", api(get_message), methods=["GET"]),
    Route(f"{_BASE}/messages/{{messageId}}/attachments/{{id}}", api(get_attachment), methods=["GET"]),
    Route(f"{_BASE}/history", api(list_history), methods=["GET"]),
]
