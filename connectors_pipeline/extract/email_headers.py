"""The header fields of an e-mail message, decoded (RFC 2047), made safe to show, and as YAML front matter."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from email.message import Message
from email.policy import EmailPolicy

import yaml

from connectors_pipeline.extract.names import display_name

# A header is one logical line (RFC 5322 caps lines at 998 characters, folding aside); anything longer
# is padding, not meaning.
MAX_HEADER_CHARS = 998
# A mailing-list blast can carry thousands of recipients; past this many, the rest are counted.
MAX_ADDRESSES = 100
# The stdlib parses a header anew on every access, at about a second per 100 KB for crafted values (a
# Content-Type of 20,000 parameters took 1.3 s per get_content_type()). Past this many characters a
# value is cut before parsing; 100 addresses fit several times over.
MAX_RAW_HEADER_CHARS = 16 * 1024
# Fields of one name looked at: a message has one To, but a crafted one can repeat it 100,000 times.
MAX_FIELDS = 10


class BoundedHeaderPolicy(EmailPolicy):
    """email.policy.default, except that header values are cut to MAX_RAW_HEADER_CHARS before parsing."""

    def header_fetch_parse(self, name, value):  # type: ignore[no-untyped-def]
        return super().header_fetch_parse(name, value[:MAX_RAW_HEADER_CHARS])


BOUNDED_POLICY = BoundedHeaderPolicy()


@dataclass(frozen=True)
class Envelope:
    """What the vault shows of a message's header: every value decoded and display-safe."""

    subject: str | None
    sender: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: str | None  # ISO 8601 when the Date field parses, else its text
    message_id: str | None


def _clean(value: str) -> str:
    return display_name(value, limit=MAX_HEADER_CHARS)


def _field(msg: Message, name: str) -> object | None:
    """The parsed header (policy.default: RFC 2047 decoded), None when absent or beyond parsing."""
    try:
        return msg.get(name)
    except Exception:  # the stdlib header parser has tripped over crafted values before
        return None


def _text(msg: Message, name: str) -> str | None:
    value = _field(msg, name)
    return (_clean(str(value)) or None) if value is not None else None


def _addresses(msg: Message, name: str) -> tuple[str, ...]:
    values: list[str] = []
    cut = False
    wanted = name.lower()
    try:
        for key, raw in itertools.islice(((k, v) for k, v in msg.raw_items() if k.lower() == wanted), MAX_FIELDS):
            field = msg.policy.header_fetch_parse(key, raw)
            addresses = list(getattr(field, "addresses", ()))
            if len(raw) > MAX_RAW_HEADER_CHARS:
                cut = True
                addresses = addresses[:-1]  # the last one may be cut in half
            if addresses:
                values.extend(str(address) for address in addresses)
            elif str(field).strip():
                values.append(str(field))  # not parseable as addresses: keep the text
    except Exception:  # see _field
        pass
    shown = [cleaned for value in values[:MAX_ADDRESSES] if (cleaned := _clean(value))]
    if len(values) > MAX_ADDRESSES:
        shown.append(f"… and {'at least ' if cut else ''}{len(values) - MAX_ADDRESSES} more")
    elif cut:
        shown.append("… and more")
    return tuple(shown)


def _date(msg: Message) -> str | None:
    field = _field(msg, "Date")
    if field is None:
        return None
    when = getattr(field, "datetime", None)
    return when.isoformat() if when is not None else (_clean(str(field)) or None)


def envelope(msg: Message) -> Envelope:
    senders = _addresses(msg, "From")
    return Envelope(
        subject=_text(msg, "Subject"),
        sender=", ".join(senders) or None,
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        date=_date(msg),
        message_id=_text(msg, "Message-ID"),
    )


def front_matter(env: Envelope, attachments: list[str]) -> str:
    fields: dict[str, object] = {
        "subject": env.subject,
        "from": env.sender,
        "to": list(env.to),
    }
    if env.cc:
        fields["cc"] = list(env.cc)
    fields["date"] = env.date
    fields["message_id"] = env.message_id
    if attachments:
        fields["attachments"] = attachments
    # A width this large keeps every value on one line: folded YAML scalars would hash differently
    # after a PyYAML upgrade changed its folding, for no change of content.
    dumped = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=1 << 30)
    return f"---\n{dumped}---"


def header_lines(env: Envelope) -> list[str]:
    """A nested (forwarded) message's header as a Markdown list."""
    lines = []
    for label, value in (
        ("From", env.sender),
        ("To", ", ".join(env.to)),
        ("Cc", ", ".join(env.cc)),
        ("Date", env.date),
        ("Subject", env.subject),
    ):
        if value:
            lines.append(f"- {label}: {value}")
    return lines
