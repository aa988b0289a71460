"""Fetching a message as message/rfc822 bytes: headers only, or rebuilt whole from Gmail's payload tree.

"metadata": the headers a reader needs (From, To, Cc, Date, Subject, Message-ID) and an empty body.
"full": the MIME tree as Gmail parsed it: text parts in their declared charsets, attachments the
plan's rules allow (fetched with attachments.get), and for the others their part headers, an empty
body and `X-Connectors-Omitted: <skip reason>`, so the extractor can say what was left out.
Gmail hands text bodies over as UTF-8 whatever their declared charset; they are encoded back into
it, so the rebuilt part means what it says. One message is held in memory at a time.
"""

from __future__ import annotations

import base64
import binascii
import email
import mimetypes
import quopri
from email import policy
from email.message import EmailMessage
from typing import Any, BinaryIO

from connectors_pipeline.domain.errors import NotFoundError
from connectors_pipeline.domain.file_types import DOCX, EMAIL, file_type_of
from connectors_pipeline.domain.items import Provenance, RemoteItem, SkipReason
from connectors_pipeline.providers.base import AttachmentRules, ExportPlan
from connectors_pipeline.providers.gmail.client import GmailClient
from connectors_pipeline.providers.gmail.listing import get_metadata

READER_HEADERS = ("From", "To", "Cc", "Date", "Subject", "Message-ID")
OMITTED_HEADER = "X-Connectors-Omitted"
_SUFFIX_TYPES = {".md": "text/markdown", ".markdown": "text/markdown", ".csv": "text/csv", ".docx": DOCX}
_BODY_TYPES = ("text/plain", "text/html")
_WIRE = policy.SMTP  # CRLF line ends, RFC 2047 words for non-ASCII headers


def fetch_message(client: GmailClient, item: RemoteItem, plan: ExportPlan, out: BinaryIO) -> Provenance:
    if plan.message_content == "full":
        message = _full_message(client, item.external_id, plan.attachments)
    else:
        message = _headers_only(client, item.external_id)
    out.write(message.as_bytes(policy=_WIRE))
    return Provenance(method="download", source_mime=EMAIL, content_mime=EMAIL)


def _headers_only(client: GmailClient, msg_id: str) -> EmailMessage:
    meta = get_metadata(client, msg_id, READER_HEADERS)
    if meta is None:
        raise NotFoundError("reading a Gmail message: HTTP 404 notFound (the message is gone)")
    message = EmailMessage(policy=policy.default)
    for h in (meta.get("payload") or {}).get("headers") or []:
        _set_header(message, str(h.get("name") or ""), str(h.get("value") or ""))
    return message


def _full_message(client: GmailClient, msg_id: str, rules: AttachmentRules) -> EmailMessage:
    request = client.users().messages().get(userId="me", id=msg_id, format="full")
    meta = client.execute(request, "reading a Gmail message")
    return _part(client, msg_id, meta.get("payload") or {}, rules)


def _set_header(part: EmailMessage, name: str, value: str) -> None:
    if not name:
        return
    try:
        part[name] = value
    except Exception:  # a value the header parser refuses (stray line breaks): keep it, flattened
        part[name] = " ".join(value.split())


def _part(client: GmailClient, msg_id: str, node: dict[str, Any], rules: AttachmentRules) -> EmailMessage:
    part = EmailMessage(policy=policy.default)
    for h in node.get("headers") or []:
        if str(h.get("name", "")).lower() != "content-transfer-encoding":  # ours is set below
            _set_header(part, str(h.get("name") or ""), str(h.get("value") or ""))
    mime = str(node.get("mimeType") or "application/octet-stream").lower()
    body = node.get("body") or {}
    if mime.startswith("multipart/"):
        if "content-type" not in part:
            part["Content-Type"] = mime
        for child in node.get("parts") or []:
            part.attach(_part(client, msg_id, child, rules))
        return part
    filename = str(node.get("filename") or "")
    if mime in _BODY_TYPES and not filename:
        _set_text(part, _data(body))
        return part
    size = int(body.get("size") or 0)
    file_type = file_type_of(mime) or _type_by_name(filename)
    if not rules.allows(file_type, size):
        too_big = file_type is not None and rules.allows(file_type, 0)
        part[OMITTED_HEADER] = (SkipReason.TOO_LARGE if too_big else SkipReason.FILE_TYPE_NOT_ALLOWED).value
        part.set_payload("")
        return part
    data = _data(body) if body.get("data") is not None else _attachment(client, msg_id, body)
    if mime == "message/rfc822":
        # a forwarded message stays a message (RFC 2046 forbids base64 here), parsed so it nests
        part.set_payload([email.message_from_bytes(data, policy=policy.default)])
        return part
    part.set_payload(base64.encodebytes(data).decode("ascii"))
    part["Content-Transfer-Encoding"] = "base64"
    return part


def _type_by_name(filename: str) -> str | None:
    suffix = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    guessed = _SUFFIX_TYPES.get(suffix) or mimetypes.guess_type(filename)[0]
    return file_type_of(guessed) if guessed else None


def _data(body: dict[str, Any]) -> bytes:
    raw = str(body.get("data") or "")
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        return b""


def _attachment(client: GmailClient, msg_id: str, body: dict[str, Any]) -> bytes:
    attachment_id = body.get("attachmentId")
    if not attachment_id:
        return b""
    request = client.users().messages().attachments().get(userId="me", messageId=msg_id, id=attachment_id)
    return _data(client.execute(request, "downloading a Gmail attachment"))


def _set_text(part: EmailMessage, data: bytes) -> None:
    """The text in the part's declared charset (UTF-8 when it cannot say it), quoted-printable."""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = data.decode("utf-8")  # what Gmail sends, normally
    except UnicodeDecodeError:
        text = data.decode(charset, errors="replace") if _known_codec(charset) else data.decode("latin-1")
    text = text.replace("\r\n", "\n")  # the generator writes the wire's line ends
    try:
        encoded = text.encode(charset)
    except (LookupError, UnicodeEncodeError):
        charset, encoded = "utf-8", text.encode("utf-8")
    if "content-type" not in part:
        part["Content-Type"] = "text/plain"
    part.set_param("charset", charset)
    part.set_payload(quopri.encodestring(encoded).decode("ascii"))
    part["Content-Transfer-Encoding"] = "quoted-printable"


def _known_codec(charset: str) -> bool:
    try:
        b"".decode(charset)
    except LookupError:
        return False
    return True
