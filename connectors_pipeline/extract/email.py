"""E-mail (message/rfc822): the header as YAML front matter, then the body, then every attachment's text.

Attachments go through the normal extract(), so an attached PDF reads exactly as the same PDF in Drive.
Forwarded messages become nested sections. Everything a message can multiply is bounded (parts,
attachments, nesting), so a crafted message costs no more than its size in bytes suggests.
"""

from __future__ import annotations

import codecs
import contextvars
import pathlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.message import Message
from email.parser import BytesParser

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract.email_headers import (
    BOUNDED_POLICY,
    MAX_HEADER_CHARS,
    Envelope,
    envelope,
    front_matter,
    header_lines,
)
from connectors_pipeline.extract.html import extract_html
from connectors_pipeline.extract.model import ExtractionLimits, TextBudget
from connectors_pipeline.extract.names import display_name
from connectors_pipeline.extract.normalize import normalize_text

# Attachments run through extraction per top-level message, forwarded and attached .eml messages
# included: each may be a PDF that takes seconds, and a bomb can hold thousands. The rest are counted.
MAX_ATTACHMENTS = 50
# Forwarded within forwarded: real threads rarely go past three; each level repeats the walk below.
MAX_MESSAGE_DEPTH = 5
# multipart within multipart: real clients nest four or five deep (mixed > related > alternative).
MAX_PART_DEPTH = 16
# MIME parts looked at per top-level message; beyond this a message is a bomb, not correspondence.
MAX_PARTS = 2_000

OMITTED_HEADER = "X-Connectors-Omitted"  # set by the Gmail provider on attachments policy leaves out
_BODY_TYPES = ("text/plain", "text/html")
_MESSAGE_TYPES = ("message/rfc822", "message/global")
_MAX_REASON_CHARS = 300
# Labels that mail clients write where they mean a superset (as browsers do, per the WHATWG Encoding
# standard): decoding with the superset reads the characters the sender's software really produced.
_SUPERSETS = {"iso8859-1": "cp1252", "shift_jis": "cp932", "gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949"}


@dataclass
class _Session:
    """What one top-level extraction shares with the messages nested in it, including attached .eml files
    extracted through extract(), so their counts add up instead of starting afresh at each level."""

    workdir: pathlib.Path
    depth: int = 0
    level: int = 2  # the heading level of sections in the message being rendered
    parts: int = 0
    attachments: int = 0
    files: int = 0


_SESSION: contextvars.ContextVar[_Session | None] = contextvars.ContextVar("email_session", default=None)


@dataclass
class _Layout:
    """A message's leaves sorted by role, in document order."""

    bodies: list[Message] = field(default_factory=list)
    attachments: list[Message] = field(default_factory=list)  # files and nested messages
    inline_images: list[str] = field(default_factory=list)
    left_out: int = 0  # parts beyond MAX_PARTS or MAX_PART_DEPTH


def _parse(data: bytes) -> Message:
    try:
        msg = BytesParser(policy=BOUNDED_POLICY).parsebytes(data)
    except RecursionError as exc:
        raise ExtractionError("e-mail message nested too deeply to parse") from exc
    except MemoryError:
        raise
    except Exception as exc:  # the parser records defects instead of raising; this is the unforeseen
        raise ExtractionError(f"corrupt e-mail message: {type(exc).__name__}") from exc
    if not msg.keys():
        raise ExtractionError("not an e-mail message: no header fields found")
    return msg


def _file_name(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # RFC 2231 parameters are parsed on access, and are attacker-written
        return None
    return (display_name(name) or None) if name else None


def _is_attachment(part: Message) -> bool:
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    # A named inline part is a file the client chose to show inline (Apple Mail does this for PDFs);
    # an inline image is a picture in the body, mentioned but not extracted.
    return part.get_content_maintype() != "image" and _file_name(part) is not None


def _contains_body(part: Message, media_type: str, session: _Session) -> bool:
    """Whether `part` holds a `media_type` body leaf. Every part looked at counts against MAX_PARTS, so
    alternatives nested in alternatives cannot multiply the work."""
    stack: list[tuple[Message, int]] = [(part, 0)]
    while stack and session.parts < MAX_PARTS:
        current, depth = stack.pop()
        session.parts += 1
        if current.get_content_maintype() == "multipart" and current.is_multipart():
            if depth < MAX_PART_DEPTH:
                stack.extend((child, depth + 1) for child in reversed(current.get_payload()))
        elif current.get_content_type() == media_type and not _is_attachment(current):
            return True
    return False


def _preferred_alternative(children: list[Message], session: _Session) -> Message | None:
    """Plain text first: it is what the sender wrote, where HTML is often a template around it."""
    for media_type in _BODY_TYPES:
        for child in children:
            if _contains_body(child, media_type, session):
                return child
    return children[-1] if children else None


def _lay_out(part: Message, layout: _Layout, session: _Session, depth: int = 0, shown: bool = True) -> None:
    """Sort `part`'s leaves into `layout`; `shown` is False inside an alternative that is not shown,
    where only real attachments and inline images still count."""
    if session.parts >= MAX_PARTS:
        layout.left_out += 1
        return
    session.parts += 1
    media_type = part.get_content_type()
    if part.get(OMITTED_HEADER) is not None or media_type in _MESSAGE_TYPES:
        layout.attachments.append(part)
    elif part.get_content_maintype() == "multipart" and part.is_multipart():
        if depth >= MAX_PART_DEPTH:
            layout.left_out += 1
            return
        children = part.get_payload()
        chosen = _preferred_alternative(children, session) if media_type == "multipart/alternative" and shown else None
        for child in children:
            _lay_out(child, layout, session, depth + 1, shown and (chosen is None or child is chosen))
    elif _is_attachment(part):
        layout.attachments.append(part)
    elif part.get_content_maintype() == "image":
        layout.inline_images.append(_file_name(part) or display_name(str(part.get("Content-ID", ""))) or "unnamed")
    elif not shown:
        return
    elif media_type in _BODY_TYPES or part.get_content_maintype() == "multipart":
        # A multipart without a usable boundary arrives as one leaf: its text is better than nothing.
        layout.bodies.append(part)
    else:
        layout.attachments.append(part)  # inline but no body: a calendar invite, an unnamed PDF


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except MemoryError:
        raise
    except Exception:  # a transfer encoding that cannot be undone: nothing readable is left
        return b""
    return data if isinstance(data, bytes) else b""


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError, TypeError):  # an unknown label, or one no codec name can be
        return None


def _candidates(declared: str | None, fallback: str | None) -> Iterator[str]:
    for label in (declared, fallback):
        if codec := _codec(label):
            yield _SUPERSETS.get(codec, codec)
            yield codec
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


def _italic_note(text: str) -> str:
    return f"_({text})_"


def _reason(exc: BaseException, path: pathlib.Path) -> str:
    """A skip reason fit to show: no temporary path, bounded."""
    return str(exc).replace(str(path), "<file>")[:_MAX_REASON_CHARS]


def _attachment_label(part: Message) -> str:
    return _file_name(part) or f"unnamed {part.get_content_type()}"


class _Renderer:
    def __init__(self, session: _Session, limits: ExtractionLimits, charset: str | None):
        self.session = session
        self.limits = limits
        self.charset = charset
        self.budget = TextBudget(limits)
        self.blocks: list[str] = []

    def add(self, block: str) -> None:
        if block:
            self.blocks.append(self.budget.add(block))

    def text(self) -> str:
        return normalize_text("\n\n".join(self.blocks))

    def message(self, msg: Message, env: Envelope) -> None:
        layout = _Layout()
        _lay_out(msg, layout, self.session)
        if self.session.depth:  # an attached .eml: a section of the message it is attached to
            self.add("\n".join(header_lines(env)))
            self.content(layout, self.session.level)
            return
        names = [
            _attachment_label(part) for part in layout.attachments if part.get_content_type() not in _MESSAGE_TYPES
        ]
        if len(names) > MAX_ATTACHMENTS:
            names[MAX_ATTACHMENTS:] = [f"… and {len(names) - MAX_ATTACHMENTS} more"]
        self.add(front_matter(env, names))
        self.add(f"# {env.subject or '(no subject)'}")
        self.content(layout, level=2)

    def content(self, layout: _Layout, level: int) -> None:
        for part in layout.bodies:
            self.body(part)
        for name in layout.inline_images:
            self.add(_italic_note(f"inline image: {name}"))
        skipped = 0
        for part in layout.attachments:
            if self.session.attachments >= MAX_ATTACHMENTS:
                skipped += 1
                continue
            self.session.attachments += 1
            if part.get(OMITTED_HEADER) is not None:
                self.omitted(part, level)
            elif part.get_content_type() in _MESSAGE_TYPES:
                self.nested(part, level)
            else:
                self.attachment(part, level)
        if skipped:
            self.add(_italic_note(f"{skipped} more attachments not extracted: over {MAX_ATTACHMENTS} in one message"))
        if layout.left_out:
            self.add(
                _italic_note(
                    f"left out: {layout.left_out} MIME parts past the limits of {MAX_PARTS} parts "
                    f"or {MAX_PART_DEPTH} levels of nesting"
                )
            )

    def body(self, part: Message) -> None:
        text = decode_text(_payload(part), part.get_content_charset(), self.charset)
        if part.get_content_type() == "text/html":
            path = self.scratch_file(text.encode("utf-8"))
            try:
                text, _title = extract_html(path, self.limits, "utf-8")
            finally:
                path.unlink(missing_ok=True)
        self.add(normalize_text(text))

    def scratch_file(self, data: bytes) -> pathlib.Path:
        # Numbered, never named after the attachment: its name is chosen by the sender.
        self.session.files += 1
        path = self.session.workdir / f"part-{self.session.files}"
        path.write_bytes(data)
        return path

    def omitted(self, part: Message, level: int) -> None:
        reason = display_name(str(part.get(OMITTED_HEADER, "")), limit=MAX_HEADER_CHARS) or "no reason given"
        self.add(f"{'#' * min(level, 6)} Attachment: {_attachment_label(part)}")
        self.add(_italic_note(f"left out by policy: {reason}"))

    def attachment(self, part: Message, level: int) -> None:
        self.add(f"{'#' * min(level, 6)} Attachment: {_attachment_label(part)}")
        room = self.limits.max_text_chars - self.budget.used
        if room <= 0:
            self.add(_italic_note(f"not extracted: the message reached {self.limits.max_text_chars} characters"))
            return
        self.add(self.extracted_attachment(part, level, replace(self.limits, max_text_chars=room)))

    def extracted_attachment(self, part: Message, level: int, limits: ExtractionLimits) -> str:
        from connectors_pipeline.extract.dispatch import extract  # dispatch imports this module

        media_type = part.get_content_type()
        charset = part.get_content_charset()
        declared = f"{media_type}; charset={charset}" if charset and _codec(charset) else media_type
        path = self.scratch_file(_payload(part))
        self.session.level = level + 1  # for an attached .eml, which reaches extract_email through extract()
        try:
            extracted = extract(path, declared, name=_file_name(part), limits=limits)
        except ExtractionError as exc:
            return _italic_note(f"not extracted: {_reason(exc, path)}")
        except (MemoryError, OSError):
            raise  # the worker's business: out of memory, or a pipeline fault
        except Exception as exc:  # one attachment tripping a parser must not lose the whole message
            return _italic_note(f"not extracted: extractor failed: {type(exc).__name__}")
        finally:
            path.unlink(missing_ok=True)
        return extracted.text or _italic_note("no text")

    def nested(self, part: Message, level: int) -> None:
        heading = "#" * min(level, 6) + " Forwarded message"
        if self.session.depth >= MAX_MESSAGE_DEPTH:
            self.add(heading)
            self.add(_italic_note(f"not extracted: messages nested more than {MAX_MESSAGE_DEPTH} deep"))
            return
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if inner is None:  # message/global, or a message/rfc822 sent with a transfer encoding
            try:
                inner = _parse(_payload(part))
            except ExtractionError as exc:
                self.add(heading)
                self.add(_italic_note(f"not extracted: {exc}"))
                return
        env = envelope(inner)
        self.add(f"{heading}: {env.subject or '(no subject)'}")
        self.add("\n".join(header_lines(env)))
        layout = _Layout()
        self.session.depth += 1
        try:
            _lay_out(inner, layout, self.session)
            self.content(layout, level + 1)
        finally:
            self.session.depth -= 1


def _render(msg: Message, session: _Session, limits: ExtractionLimits, charset: str | None) -> tuple[str, str | None]:
    env = envelope(msg)
    renderer = _Renderer(session, limits, charset)
    renderer.message(msg, env)
    return renderer.text(), env.subject


def extract_email(path: pathlib.Path, limits: ExtractionLimits, charset: str | None) -> tuple[str, str | None]:
    msg = _parse(path.read_bytes())  # the stdlib parser needs it whole; max_input_bytes bounds it
    session = _SESSION.get()
    if session is not None:  # an .eml attached to a message being extracted
        if session.depth >= MAX_MESSAGE_DEPTH:
            raise ExtractionError(f"messages nested more than {MAX_MESSAGE_DEPTH} deep")
        session.depth += 1
        try:
            return _render(msg, session, limits, charset)
        finally:
            session.depth -= 1
    with tempfile.TemporaryDirectory(prefix="email-attachments-") as workdir:
        session = _Session(pathlib.Path(workdir))
        token = _SESSION.set(session)
        try:
            return _render(msg, session, limits, charset)
        finally:
            _SESSION.reset(token)
