"""Stored RFC 822 bytes seen the way Gmail shows them: payload trees, headers, snippets, search text.

Parsed with the standard library's `email` package. What Gmail does and we copy: header values come
decoded (RFC 2047 words to Unicode); inline text parts carry their body in `body.data`, converted to
UTF-8 whatever charset their headers declare (the headers stay as they were); parts with a filename,
non-text parts, and text bodies larger than MAX_INLINE_BODY_BYTES carry an `attachmentId` instead of
data, which attachments.get answers (for a text body, with the same UTF-8 bytes).
"""

from __future__ import annotations

import base64
import email
import email.policy
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message as MimePart

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_MSGID = re.compile(r"<([^>]+)>")
# Past this many bytes Gmail hands a text body over by attachment id, like a file; a module variable,
# so a test can lower it.
MAX_INLINE_BODY_BYTES = 100 * 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def parse_mime(raw: bytes) -> MimePart:
    return email.message_from_bytes(raw, policy=email.policy.default)


def header_value(value: object) -> str:
    try:
        return str(value)
    except Exception:  # a header the parser cannot decode: show it as it came
        return getattr(value, "_value", "") or ""


def headers_of(part: MimePart) -> list[dict[str, str]]:
    return [{"name": name, "value": header_value(value)} for name, value in part.items()]


def walk_parts(part: MimePart, part_id: str = "") -> Iterator[tuple[str, MimePart]]:
    """(partId, part) for the part and everything below it, numbered as Gmail does ("", "0", "0.1")."""
    yield part_id, part
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        return
    for index, child in enumerate(part.iter_parts()):
        yield from walk_parts(child, f"{part_id}.{index}" if part_id else str(index))


def part_bytes(part: MimePart) -> bytes:
    """The part's body after its Content-Transfer-Encoding is undone."""
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        return inner[0].as_bytes() if isinstance(inner, list) and inner else b""
    return part.get_payload(decode=True) or b""


def is_attachment(part: MimePart) -> bool:
    return bool(part.get_filename()) or part.get_content_maintype() != "text"


def part_text(part: MimePart, content: bytes) -> str:
    charset = part.get_content_charset() or "us-ascii"
    try:
        return content.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return content.decode("latin-1")


def payload_tree(part: MimePart, part_id: str, attachment_id: Callable[[str], str]) -> dict[str, object]:
    """The `format=full` MessagePart of `part` and its children."""
    node: dict[str, object] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": headers_of(part),
    }
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        node["body"] = {"size": 0}
        node["parts"] = [
            payload_tree(child, f"{part_id}.{i}" if part_id else str(i), attachment_id)
            for i, child in enumerate(part.iter_parts())
        ]
        return node
    data = body_bytes(part)
    if is_attachment(part) or len(data) > MAX_INLINE_BODY_BYTES:
        node["body"] = {"attachmentId": attachment_id(part_id), "size": len(data)}
    else:
        node["body"] = {"size": len(data), "data": b64url(data)}
    return node


def body_bytes(part: MimePart) -> bytes:
    """What Gmail serves of a part: a text body as UTF-8, anything else as it was sent."""
    content = part_bytes(part)
    return content if is_attachment(part) else part_text(part, content).encode("utf-8")


@dataclass
class ParsedMessage:
    """What searches and listings need of a message, worked out once when it arrives."""

    headers: list[dict[str, str]]
    subject: str = ""
    sender: str = ""
    recipients: str = ""
    message_id: str = ""
    references: list[str] = field(default_factory=list)
    filenames: list[str] = field(default_factory=list)
    words: frozenset[str] = frozenset()
    text: str = ""  # lowercased, whitespace-collapsed: for quoted phrases
    snippet: str = ""

    def header(self, name: str) -> str:
        return next((h["value"] for h in self.headers if h["name"].lower() == name.lower()), "")


def parse_message(raw: bytes) -> ParsedMessage:
    root = parse_mime(raw)
    parsed = ParsedMessage(headers=headers_of(root))
    parsed.subject = parsed.header("Subject")
    parsed.sender = parsed.header("From")
    parsed.recipients = " ".join(parsed.header(h) for h in ("To", "Cc", "Bcc"))
    ids = _MSGID.findall(parsed.header("Message-ID"))
    parsed.message_id = ids[0] if ids else parsed.header("Message-ID").strip()
    parsed.references = _MSGID.findall(parsed.header("In-Reply-To") + " " + parsed.header("References"))
    bodies: list[str] = []
    for _, part in walk_parts(root):
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            continue
        if is_attachment(part):
            if part.get_filename():
                parsed.filenames.append(part.get_filename() or "")
            continue
        text = part_text(part, part_bytes(part))
        bodies.append(_TAG.sub(" ", text) if part.get_content_subtype() == "html" else text)
    body = _SPACE.sub(" ", html.unescape(" ".join(bodies))).strip()
    parsed.snippet = html.escape(body[:200])
    searchable = " ".join([parsed.subject, parsed.sender, parsed.recipients, body, *parsed.filenames]).lower()
    parsed.text = _SPACE.sub(" ", searchable)
    parsed.words = frozenset(re.findall(r"\w+", parsed.text))
    return parsed
