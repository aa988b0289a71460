"""Fills a sandbox user's mailbox from a corpus of real MIME messages (sandbox/gmail_corpus.py's shape)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from connectors_pipeline.sandbox.gmail_state import Mailbox
from connectors_pipeline.sandbox.state import SandboxState

_USER_LABEL_ID = re.compile(r"Label_\d+")
# What the shared mail corpus (gmail_corpus.py) files under its user label.
DEFAULT_LABEL_NAMES = {"Label_1": "Receipts"}


class MailEntry(Protocol):
    """What seeding reads of a corpus message (gmail_corpus.CorpusMessage has these)."""

    raw: bytes
    label_ids: tuple[str, ...]


def seed_gmail(
    state: SandboxState,
    email: str,
    messages: Sequence[MailEntry],
    label_names: Mapping[str, str] | None = None,
) -> dict[int, str]:
    """Deliver `messages` in order to `email`'s mailbox (adding the user if needed); index -> message id.

    Labels that do not exist yet are created on first use: a user label id (`Label_7`) with that id,
    named by `label_names` (default: the id); anything else is a user label's name ("Receipts").
    """
    state.add_user(email)
    mailbox = state.mailbox(email)
    names = dict(DEFAULT_LABEL_NAMES) | dict(label_names or {})
    ids: dict[int, str] = {}
    with state.lock:
        for index, entry in enumerate(messages):
            labels = [_label_id(mailbox, label, names) for label in entry.label_ids]
            ids[index] = mailbox.add_message(entry.raw, labels)
    return ids


def _label_id(mailbox: Mailbox, label: str, names: Mapping[str, str]) -> str:
    if label in mailbox.labels:
        return label
    if _USER_LABEL_ID.fullmatch(label):
        return mailbox.create_label(names.get(label, label), label_id=label)
    try:
        return mailbox.label_id(label)
    except StopIteration:
        return mailbox.create_label(label)
