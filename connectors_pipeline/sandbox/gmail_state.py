"""One sandbox user's Gmail mailbox: messages (raw RFC 822), labels, and the history feed with its retention.

Tests mutate it through `add_message`, `add_labels`/`remove_labels`, `trash`/`untrash` and `delete`;
every mutation takes the next mailbox-wide history id and appends one history record, as Gmail does.
`expire_history` forgets old records, after which an older startHistoryId answers 404.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connectors_pipeline.sandbox.gmail_mime import ParsedMessage, parse_message

SYSTEM_LABELS: tuple[str, ...] = (
    "INBOX",
    "SENT",
    "DRAFT",
    "SPAM",
    "TRASH",
    "UNREAD",
    "STARRED",
    "IMPORTANT",
    "CHAT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
)
# Labels Gmail lists with visibility fields; the others (UNREAD, categories...) carry only id/name/type.
_SHOWN_SYSTEM = {"INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "STARRED", "IMPORTANT", "CHAT"}
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
_FIRST_HISTORY_ID = 5000


@dataclass
class Label:
    id: str
    name: str
    type: str  # "system" | "user"

    def resource(self) -> dict[str, str]:
        body = {"id": self.id, "name": self.name, "type": self.type}
        if self.type == "user" or self.id in _SHOWN_SYSTEM:
            body["messageListVisibility"] = "show" if self.type == "user" else "hide"
            body["labelListVisibility"] = "labelShow"
        return body


@dataclass
class Message:
    id: str
    thread_id: str
    raw: bytes
    label_ids: list[str]
    internal_date: int  # epoch ms
    history_id: int  # the last history record that touched it
    parsed: ParsedMessage

    @property
    def size_estimate(self) -> int:
        return len(self.raw)

    def ref(self, with_labels: bool = False) -> dict[str, object]:
        body: dict[str, object] = {"id": self.id, "threadId": self.thread_id}
        if with_labels:
            body["labelIds"] = list(self.label_ids)
        return body


@dataclass
class HistoryRecord:
    id: int
    type: str  # one of HISTORY_TYPES
    message: dict[str, object]  # {id, threadId, labelIds} as the message was after the change
    label_ids: tuple[str, ...] = ()  # labelAdded / labelRemoved: the labels that changed
    touched_labels: frozenset[str] = field(default_factory=frozenset)  # for the labelId filter


class Mailbox:
    """Messages, labels and history of one user; guarded by the sandbox-wide lock."""

    def __init__(
        self,
        email: str,
        lock: threading.RLock,
        *,
        mutation_time: Callable[[], datetime],
        clock: Callable[[], datetime],
        seed: str,
    ) -> None:
        self.email = email
        self.lock = lock
        self._now = mutation_time  # ticks the clock: every arrival gets its own, increasing time
        self._clock = clock
        self._rng = random.Random(seed)  # its own: mail never shifts Drive's seeded ids
        self.labels: dict[str, Label] = {lid: Label(lid, lid, "system") for lid in SYSTEM_LABELS}
        self.messages: dict[str, Message] = {}
        self.history: list[HistoryRecord] = []
        self.history_id = _FIRST_HISTORY_ID
        self.oldest_history_id = _FIRST_HISTORY_ID  # a startHistoryId below this is stale (404)
        self._next_label = 1

    # ---------------------------------------------------------------- ids and history
    def _new_id(self) -> str:
        while True:
            candidate = f"{self._rng.getrandbits(64):016x}"
            if candidate not in self.messages and candidate[0] != "0":
                return candidate

    def _record(self, kind: str, msg: Message, changed: Sequence[str] = ()) -> None:
        self.history_id += 1
        msg.history_id = self.history_id
        touched = frozenset(msg.label_ids) | frozenset(changed)
        self.history.append(HistoryRecord(self.history_id, kind, msg.ref(True), tuple(changed), touched))

    def expire_history(self, keep_after: int | None = None) -> int:
        """Forget history up to `keep_after` (default: all of it); returns the oldest valid startHistoryId."""
        with self.lock:
            cut = self.history_id if keep_after is None else min(keep_after, self.history_id)
            self.history = [r for r in self.history if r.id > cut]
            self.oldest_history_id = max(self.oldest_history_id, cut)
            return self.oldest_history_id

    def history_after(self, start: int) -> list[HistoryRecord]:
        with self.lock:
            return [r for r in self.history if r.id > start]

    # ---------------------------------------------------------------- mutations
    def add_message(
        self,
        raw: bytes,
        label_ids: Iterable[str] = ("INBOX",),
        *,
        internal_date: datetime | None = None,
    ) -> str:
        """Deliver `raw` (RFC 822 bytes) with labels; returns the new message id."""
        with self.lock:
            labels = self._known(label_ids)
            parsed = parse_message(raw)
            when = self._now() if internal_date is None else internal_date
            msg_id = self._new_id()
            msg = Message(msg_id, self._thread_of(parsed, msg_id), raw, labels, int(when.timestamp() * 1000), 0, parsed)
            self.messages[msg_id] = msg
            self._record("messageAdded", msg)
            return msg_id

    def create_label(self, name: str, label_id: str | None = None) -> str:
        """A user label; its id is the next `Label_N` unless a seed names one (a corpus says "Label_1")."""
        with self.lock:
            if any(label.name.lower() == name.lower() for label in self.labels.values()):
                raise ValueError(f"label {name!r} exists")
            if label_id is None:
                while f"Label_{self._next_label}" in self.labels:
                    self._next_label += 1
                label_id = f"Label_{self._next_label}"
            elif label_id in self.labels:
                raise ValueError(f"label id {label_id!r} exists")
            self.labels[label_id] = Label(label_id, name, "user")
            return label_id

    def label_id(self, name: str) -> str:
        """The id of the label named `name` (case-insensitive), for tests that think in names."""
        with self.lock:
            return next(lab.id for lab in self.labels.values() if lab.name.lower() == name.lower())

    def add_labels(self, msg_id: str, label_ids: Iterable[str]) -> None:
        with self.lock:
            msg = self._message(msg_id)
            added = [lid for lid in self._known(label_ids) if lid not in msg.label_ids]
            if added:
                msg.label_ids.extend(added)
                self._record("labelAdded", msg, added)

    def remove_labels(self, msg_id: str, label_ids: Iterable[str]) -> None:
        with self.lock:
            msg = self._message(msg_id)
            removed = [lid for lid in label_ids if lid in msg.label_ids]
            if removed:
                msg.label_ids[:] = [lid for lid in msg.label_ids if lid not in removed]
                self._record("labelRemoved", msg, removed)

    def trash(self, msg_id: str) -> None:
        """Like users.messages.trash: the TRASH label is added and the others stay, INBOX included, so
        untrash restores the message where it was (searches and label listings skip TRASH unless asked).
        The API reference does not say; clients report trashed messages reading back with TRASH and INBOX."""
        self.add_labels(msg_id, ["TRASH"])

    def untrash(self, msg_id: str) -> None:
        self.remove_labels(msg_id, ["TRASH"])

    def delete(self, msg_id: str) -> None:
        """Permanent deletion (users.messages.delete): gone, with a messageDeleted record."""
        with self.lock:
            msg = self._message(msg_id)
            del self.messages[msg_id]
            self._record("messageDeleted", msg)

    # ---------------------------------------------------------------- helpers
    def message(self, msg_id: str) -> Message | None:
        with self.lock:
            return self.messages.get(msg_id)

    def _message(self, msg_id: str) -> Message:
        msg = self.messages.get(msg_id)
        if msg is None:
            raise KeyError(f"no message {msg_id!r}")
        return msg

    def _known(self, label_ids: Iterable[str]) -> list[str]:
        labels = list(dict.fromkeys(label_ids))
        unknown = [lid for lid in labels if lid not in self.labels]
        if unknown:
            raise KeyError(f"unknown labels {unknown}; create_label first")
        return labels

    def _thread_of(self, parsed: ParsedMessage, msg_id: str) -> str:
        """Replies join the thread of the message they answer (In-Reply-To / References), like Gmail."""
        wanted = set(parsed.references)
        if wanted:
            for other in self.messages.values():
                if other.parsed.message_id and other.parsed.message_id in wanted:
                    return other.thread_id
        return msg_id

    def now_ms(self) -> int:
        """The sandbox clock now, for newer_than:/older_than: (reading it does not advance it)."""
        return int(self._clock().timestamp() * 1000)

    def profile(self) -> dict[str, object]:
        with self.lock:
            return {
                "emailAddress": self.email,
                "messagesTotal": len(self.messages),
                "threadsTotal": len({m.thread_id for m in self.messages.values()}),
                "historyId": str(self.history_id),
            }
