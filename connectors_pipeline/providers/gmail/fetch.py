"""Fetching a message as message/rfc822 bytes: headers only, or rebuilt whole from Gmail's payload tree.

"metadata": the headers a reader needs (From, To, Cc, Date, Subject, Message-ID) and an empty body.
"full": the MIME tree as Gmail parsed it: text parts in their declared charsets, attachments the
plan's rules allow (fetched with attachments.get) while the whole message stays within the rules'
size, and for the others their part headers, an empty body and `X-Connectors-Omitted: <skip reason>`,
so the extractor can say what was left out. Gmail hands text bodies over as UTF-8 whatever their
declared charset; they are encoded back into it, so the rebuilt part means what it says. One message
is held in memory at a time.
"""

from __future__ import annotations

import base64
import binascii
import email
import mimetypes
import quopri
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any, BinaryIO

from connectors_pipeline.domain.errors import NotFoundError
from connectors_pipeline.domain.file_types import DOCX, EMAIL, EMAIL_BODY_TYPES, OMITTED_HEADER, file_type_of
from connectors_pipeline.domain.items import Provenance, RemoteItem, SkipReason
from connectors_pipeline.providers.base import AttachmentRules, ExportPlan
from connectors_pipeline.providers.gmail.client import GmailClient
from connectors_pipeline.providers.gmail.listing import get_metadata

READER_HEADERS = ("From", "To", "Cc", "Date", "Subject", "Message-ID")
_SUFFIX_TYPES = {".md": "text/markdown", ".markdown": "text/markdown", ".csv": "text/csv", ".docx": DOCX}
_WIRE = policy.SMTP  # CRLF line ends, RFC 2047 words for non-ASCII headers
_OMITTED_LINE = len(f"{OMITTED_HEADER}: {SkipReason.TOO_LARGE.value}\r\n")
_BASE64_LINE = len("Content-Transfer-Encoding: base64\r\n")


def fetch_message(client: GmailClient, item: RemoteItem, plan: ExportPlan, out: BinaryIO) -> Provenance:
    if plan.message_content == "full":
        message = _Rebuild(client, item.external_id, plan.attachments).message()
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


def _set_header(part: EmailMessage, name: str, value: str) -> None:
    if not name:
        return
    try:
        part[name] = value
    except Exception:  # a value the header parser refuses (stray line breaks): keep it, flattened
        part[name] = " ".join(value.split())


@dataclass
class _Attachment:
    """An attachment the rules allow, waiting for room in the message: its part and Gmail's body."""

    part: EmailMessage
    mime: str
    body: dict[str, Any]


@dataclass
class _Rebuild:
    """One message rebuilt from its `format=full` payload tree.

    The tree is rebuilt first with every allowed attachment left out; then they are filled in, in
    order, while the whole message stays within `rules.max_bytes`. The sync judges the message by its
    size as written, and base64 makes an attachment a third larger, so an attachment that fits alone
    can still push the message over: it is left out (policy_max_size) rather than lose the message.
    """

    client: GmailClient
    msg_id: str
    rules: AttachmentRules
    waiting: list[_Attachment] = field(default_factory=list)

    def message(self) -> EmailMessage:
        request = self.client.users().messages().get(userId="me", id=self.msg_id, format="full")
        meta = self.client.execute(request, "reading a Gmail message")
        message = self.part(meta.get("payload") or {})
        self.fill(message)
        return message

    def part(self, node: dict[str, Any]) -> EmailMessage:
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
                part.attach(self.part(child))
            return part
        filename = str(node.get("filename") or "")
        if mime in EMAIL_BODY_TYPES and not filename:
            _set_text(part, self.content(body))
            return part
        size = int(body.get("size") or 0)
        file_type = file_type_of(mime) or _type_by_name(filename)
        if file_type is None:
            _leave_out(part, SkipReason.UNSUPPORTED_TYPE)
        elif not self.rules.allows(file_type, 0):
            _leave_out(part, SkipReason.FILE_TYPE_NOT_ALLOWED)
        else:
            _leave_out(part, SkipReason.TOO_LARGE)  # until fill() finds it room
            if self.rules.allows(file_type, size):
                self.waiting.append(_Attachment(part, mime, body))
        return part

    def fill(self, message: EmailMessage) -> None:
        limit = self.rules.max_bytes
        used = len(message.as_bytes(policy=_WIRE)) if limit is not None else 0
        for attachment in self.waiting:
            if limit is None:
                _put(attachment, self.content(attachment.body))
                continue
            if used + _growth(attachment) > limit:
                continue  # no download for what cannot fit
            before = len(attachment.part.as_bytes(policy=_WIRE))
            _put(attachment, self.content(attachment.body))
            grown = len(attachment.part.as_bytes(policy=_WIRE)) - before
            if used + grown > limit:  # the estimate was short (a nested message written with CRLFs)
                _leave_out(attachment.part, SkipReason.TOO_LARGE)
            else:
                used += grown

    def content(self, body: dict[str, Any]) -> bytes:
        """A part's bytes: inline in `data`, or by attachment id (Gmail does this for large text bodies)."""
        if body.get("data") is not None:
            return _data(body)
        attachment_id = body.get("attachmentId")
        if not attachment_id:
            return b""
        request = self.client.users().messages().attachments().get(userId="me", messageId=self.msg_id, id=attachment_id)
        return _data(self.client.execute(request, "downloading a Gmail attachment"))


def _leave_out(part: EmailMessage, reason: SkipReason) -> None:
    del part["Content-Transfer-Encoding"], part[OMITTED_HEADER]
    part[OMITTED_HEADER] = reason.value
    part.set_payload("")


def _put(attachment: _Attachment, data: bytes) -> None:
    part = attachment.part
    del part[OMITTED_HEADER]
    if attachment.mime == "message/rfc822":
        # a forwarded message stays a message (RFC 2046 forbids base64 here), parsed so it nests
        part.set_payload([email.message_from_bytes(data, policy=policy.default)])
        return
    part.set_payload(base64.encodebytes(data).decode("ascii"))
    part["Content-Transfer-Encoding"] = "base64"


def _growth(attachment: _Attachment) -> int:
    """What putting the attachment in adds to the message, known before downloading it: exact in base64
    (four characters per three bytes, CRLF every 76, and its header for the omission's), near for a
    nested message (written anew, so fill() checks it again)."""
    size = int(attachment.body.get("size") or 0)
    if attachment.mime == "message/rfc822":
        return size - _OMITTED_LINE
    chars = 4 * -(-size // 3)
    return chars + 2 * -(-chars // 76) + _BASE64_LINE - _OMITTED_LINE


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
