"""A message's MIME parts sorted by role (bodies, attachments, inline images) and their payloads decoded.

The walk is bounded (parts looked at, nesting), so a crafted message costs no more than its size in
bytes suggests; what it leaves out is counted for the reader.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Protocol

from connectors_pipeline.domain.file_types import EMAIL_BODY_TYPES, OMITTED_HEADER
from connectors_pipeline.extract.names import display_name

# multipart within multipart: real clients nest four or five deep (mixed > related > alternative).
MAX_PART_DEPTH = 16
# MIME parts looked at per top-level message; beyond this a message is a bomb, not correspondence.
MAX_PARTS = 2_000

MESSAGE_TYPES = ("message/rfc822", "message/global")
# Labels that mail clients write where they mean a superset (as browsers do, per the WHATWG Encoding
# standard): decoding with the superset reads the characters the sender's software really produced.
_SUPERSETS = {"iso8859-1": "cp1252", "shift_jis": "cp932", "gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949"}


class PartCount(Protocol):
    """Where the parts looked at are counted: shared by a message and the messages nested in it."""

    parts: int


@dataclass
class Layout:
    """A message's leaves sorted by role, in document order."""

    bodies: list[Message] = field(default_factory=list)
    attachments: list[Message] = field(default_factory=list)  # files, nested messages, parts left out
    inline_images: list[str] = field(default_factory=list)
    left_out: int = 0  # parts beyond MAX_PARTS or MAX_PART_DEPTH


def file_name(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # RFC 2231 parameters are parsed on access, and are attacker-written
        return None
    return (display_name(name) or None) if name else None


def is_attachment(part: Message) -> bool:
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    # A named inline part is a file the client chose to show inline (Apple Mail does this for PDFs);
    # an inline image is a picture in the body, mentioned but not extracted.
    return part.get_content_maintype() != "image" and file_name(part) is not None


def _contains_body(part: Message, media_type: str, count: PartCount) -> bool:
    """Whether `part` holds a `media_type` body leaf. Every part looked at counts against MAX_PARTS, so
    alternatives nested in alternatives cannot multiply the work."""
    stack: list[tuple[Message, int]] = [(part, 0)]
    while stack and count.parts < MAX_PARTS:
        current, depth = stack.pop()
        count.parts += 1
        if current.get_content_maintype() == "multipart" and current.is_multipart():
            if depth < MAX_PART_DEPTH:
                stack.extend((child, depth + 1) for child in reversed(current.get_payload()))
        elif current.get_content_type() == media_type and not is_attachment(current):
            return True
    return False


def _preferred_alternative(children: list[Message], count: PartCount) -> Message | None:
    """Plain text first: it is what the sender wrote, where HTML is often a template around it."""
    for media_type in EMAIL_BODY_TYPES:
        for child in children:
            if _contains_body(child, media_type, count):
                return child
    return children[-1] if children else None


def lay_out(part: Message, layout: Layout, count: PartCount, depth: int = 0, shown: bool = True) -> None:
    """Sort `part`'s leaves into `layout`; `shown` is False inside an alternative that is not shown,
    where only real attachments and inline images still count."""
    if count.parts >= MAX_PARTS:
        layout.left_out += 1
        return
    count.parts += 1
    media_type = part.get_content_type()
    if part.get(OMITTED_HEADER) is not None or media_type in MESSAGE_TYPES:
        layout.attachments.append(part)
    elif part.get_content_maintype() == "multipart" and part.is_multipart():
        if depth >= MAX_PART_DEPTH:
            layout.left_out += 1
            return
        children = part.get_payload()
        chosen = _preferred_alternative(children, count) if media_type == "multipart/alternative" and shown else None
        for child in children:
            lay_out(child, layout, count, depth + 1, shown and (chosen is None or child is chosen))
    elif is_attachment(part):
        layout.attachments.append(part)
    elif part.get_content_maintype() == "image":
        layout.inline_images.append(file_name(part) or display_name(str(part.get("Content-ID", ""))) or "unnamed")
    elif not shown:
        return
    elif media_type in EMAIL_BODY_TYPES or part.get_content_maintype() == "multipart":
        # A multipart without a usable boundary arrives as one leaf: its text is better than nothing.
        layout.bodies.append(part)
    else:
        layout.attachments.append(part)  # inline but no body: a calendar invite, an unnamed PDF


def decoded_payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except MemoryError:
        raise
    except Exception:  # a transfer encoding that cannot be undone: nothing readable is left
        return b""
    return data if isinstance(data, bytes) else b""


def codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError, TypeError):  # an unknown label, or one no codec name can be
        return None


def _candidates(declared: str | None, fallback: str | None) -> Iterator[str]:
    for label in (declared, fallback):
        if name := codec(label):
            yield _SUPERSETS.get(name, name)
            yield name
    yield "utf-8"


def decode_text(data: bytes, declared: str | None, fallback: str | None) -> str:
    """The part's declared charset, then `fallback`, then UTF-8; a label that is unknown, not a text
    encoding, or lying about the bytes moves on to the next, and UTF-8 with replacement ends the line."""
    for encoding in dict.fromkeys(_candidates(declared, fallback)):
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeError, ValueError):  # bytes.decode refuses non-text codecs (zlib...)
            continue
    return data.decode("utf-8", errors="replace")
