"""E-mail (message/rfc822): the header as YAML front matter, then the body, then every attachment's text.

Attachments go through the normal extract(), so an attached PDF reads exactly as the same PDF in Drive.
Forwarded messages become nested sections. Everything a message can multiply is bounded (parts,
attachments, nesting), so a crafted message costs no more than its size in bytes suggests.
"""

from __future__ import annotations

import contextvars
import pathlib
import tempfile
from dataclasses import dataclass, replace
from email.message import Message
from email.parser import BytesParser

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.domain.file_types import OMITTED_HEADER
from connectors_pipeline.domain.items import SkipReason
from connectors_pipeline.extract.email_headers import (
    BOUNDED_POLICY,
    MAX_HEADER_CHARS,
    Envelope,
    envelope,
    front_matter,
    header_lines,
)
from connectors_pipeline.extract.email_parts import (
    MAX_PART_DEPTH,
    MAX_PARTS,
    MESSAGE_TYPES,
    Layout,
    codec,
    decode_text,
    decoded_payload,
    file_name,
    lay_out,
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
_MAX_REASON_CHARS = 300


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


def _italic_note(text: str) -> str:
    return f"_({text})_"


def _reason(exc: BaseException, path: pathlib.Path) -> str:
    """A skip reason fit to show: no temporary path, bounded."""
    return str(exc).replace(str(path), "<file>")[:_MAX_REASON_CHARS]


def _attachment_label(part: Message) -> str:
    return file_name(part) or f"unnamed {part.get_content_type()}"


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
        layout = Layout()
        lay_out(msg, layout, self.session)
        if self.session.depth:  # an attached .eml: a section of the message it is attached to
            self.add("\n".join(header_lines(env)))
            self.content(layout, self.session.level)
            return
        names = [_attachment_label(part) for part in layout.attachments if part.get_content_type() not in MESSAGE_TYPES]
        if len(names) > MAX_ATTACHMENTS:
            names[MAX_ATTACHMENTS:] = [f"… and {len(names) - MAX_ATTACHMENTS} more"]
        self.add(front_matter(env, names))
        self.add(f"# {env.subject or '(no subject)'}")
        self.content(layout, level=2)

    def content(self, layout: Layout, level: int) -> None:
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
            elif part.get_content_type() in MESSAGE_TYPES:
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
        text = decode_text(decoded_payload(part), part.get_content_charset(), self.charset)
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
        if reason == SkipReason.UNSUPPORTED_TYPE:  # no rule forbids it: the vault cannot read it
            self.add(_italic_note(f"left out: {reason}, not a file type the vault reads"))
        else:
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
        declared = f"{media_type}; charset={charset}" if charset and codec(charset) else media_type
        path = self.scratch_file(decoded_payload(part))
        self.session.level = level + 1  # for an attached .eml, which reaches extract_email through extract()
        try:
            extracted = extract(path, declared, name=file_name(part), limits=limits)
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
                inner = _parse(decoded_payload(part))
            except ExtractionError as exc:
                self.add(heading)
                self.add(_italic_note(f"not extracted: {exc}"))
                return
        env = envelope(inner)
        self.add(f"{heading}: {env.subject or '(no subject)'}")
        self.add("\n".join(header_lines(env)))
        layout = Layout()
        self.session.depth += 1
        try:
            lay_out(inner, layout, self.session)
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
