"""The subset of Gmail search (`q`) the sandbox understands, compiled to a predicate over messages.

Terms are ANDed; `-term` negates; values and phrases may be quoted. Operators: from: to: cc: bcc:
subject: after: before: newer_than: older_than: label: in: is: has:attachment filename: rfc822msgid:;
anything else is searched as words (subject, addresses, body text, attachment names), like Gmail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors_pipeline.sandbox.gmail_state import Label, Message

Predicate = Callable[[Message], bool]
_TOKEN = re.compile(r'(-?)(?:([a-z_0-9]+):)?("[^"]*"|\S+)', re.IGNORECASE)
_DAY_MS = 86_400_000
_UNITS_MS = {"d": _DAY_MS, "m": 30 * _DAY_MS, "y": 365 * _DAY_MS}
_IN_LABELS = {"inbox": "INBOX", "sent": "SENT", "drafts": "DRAFT", "draft": "DRAFT", "spam": "SPAM", "trash": "TRASH"}
_IN_LABELS |= {"starred": "STARRED", "important": "IMPORTANT", "chats": "CHAT"}
_SPAM_TRASH = {"SPAM", "TRASH"}


class QueryError(ValueError):
    """A query the sandbox cannot read (Gmail answers 400 invalidArgument)."""


@dataclass
class CompiledQuery:
    matches: Predicate
    reaches_spam_trash: bool  # in:trash, in:spam, label:spam, in:anywhere lift the default exclusion


def compile_query(q: str, labels: dict[str, Label], now_ms: int) -> CompiledQuery:
    predicates: list[Predicate] = []
    reaches = False
    for negate, op, raw_value in _TOKEN.findall(q):
        value = raw_value[1:-1] if raw_value.startswith('"') and raw_value.endswith('"') else raw_value
        op = op.lower()
        if op in ("in", "label") and value.lower() == "anywhere":
            reaches = True
            continue
        predicate = _term(op, value, labels, now_ms, raw_value)
        if op in ("in", "label") and _label_id(value, labels) in _SPAM_TRASH:
            reaches = True
        predicates.append((lambda m, p=predicate: not p(m)) if negate else predicate)
    return CompiledQuery(lambda m: all(p(m) for p in predicates), reaches)


def _term(op: str, value: str, labels: dict[str, Label], now_ms: int, raw: str) -> Predicate:
    needle = value.lower()
    match op:
        case "from":
            return lambda m: needle in m.parsed.sender.lower()
        case "to" | "cc" | "bcc":
            return lambda m: needle in m.parsed.recipients.lower()
        case "subject":
            return lambda m: needle in m.parsed.subject.lower()
        case "after":
            after = _date_ms(value)
            return lambda m: m.internal_date >= after
        case "before":
            before = _date_ms(value)
            return lambda m: m.internal_date < before
        case "newer_than":
            since = now_ms - _age_ms(value)
            return lambda m: m.internal_date > since
        case "older_than":
            until = now_ms - _age_ms(value)
            return lambda m: m.internal_date < until
        case "label" | "in":
            label = _label_id(value, labels)
            if label is None:
                return lambda m: False  # Gmail finds nothing for a label that does not exist
            return lambda m: label in m.label_ids
        case "is":
            return _is(needle)
        case "has" if needle in ("attachment", "attachments"):
            return lambda m: bool(m.parsed.filenames)
        case "filename":
            return lambda m: any(needle in f.lower() or f.lower().endswith("." + needle) for f in m.parsed.filenames)
        case "rfc822msgid":
            wanted = value.strip("<>")
            return lambda m: m.parsed.message_id == wanted
    return _words(f"{op}:{raw}" if op else raw)


def _is(state: str) -> Predicate:
    flags = {"unread": "UNREAD", "starred": "STARRED", "important": "IMPORTANT"}
    if state == "read":
        return lambda m: "UNREAD" not in m.label_ids
    if state not in flags:
        raise QueryError(f"is:{state}")
    return lambda m: flags[state] in m.label_ids


def _words(raw: str) -> Predicate:
    if raw.startswith('"') and raw.endswith('"') and len(raw) > 1:
        phrase = " ".join(raw[1:-1].lower().split())
        return lambda m: phrase in m.parsed.text
    words = re.findall(r"\w+", raw.lower())
    return lambda m: all(w in m.parsed.words for w in words)


def _label_id(value: str, labels: dict[str, Label]) -> str | None:
    wanted = value.lower()
    if wanted in _IN_LABELS:
        return _IN_LABELS[wanted]
    for label in labels.values():
        # Gmail writes spaces and slashes of label names as dashes in queries; both are accepted.
        name = label.name.lower()
        if wanted in (name, re.sub(r"[\s/]", "-", name), label.id.lower()):
            return label.id
    return None


def _date_ms(value: str) -> int:
    if value.isdigit():  # epoch seconds, as Gmail also accepts
        return int(value) * 1000
    try:
        day = datetime.strptime(value.replace("-", "/"), "%Y/%m/%d").replace(tzinfo=UTC)
    except ValueError:
        raise QueryError(f"bad date {value!r}") from None
    return int(day.timestamp() * 1000)


def _age_ms(value: str) -> int:
    found = re.fullmatch(r"(\d+)([dmy])", value.lower())
    if not found:
        raise QueryError(f"bad age {value!r}")
    return int(found.group(1)) * _UNITS_MS[found.group(2)]
