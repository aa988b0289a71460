"""Messages as RemoteItems: label names, the paths a person sees ("Inbox/Subject"), scope membership.

A message is immutable in Gmail, so its version is how much of it the sync takes (see item_version):
only a change of that fetches it again. Label changes are moves: new paths.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.domain.file_types import EMAIL
from connectors_pipeline.domain.items import RemoteItem
from connectors_pipeline.providers.base import ExportPlan, Scope
from connectors_pipeline.providers.gmail.client import GmailClient

PROVIDER_NAME = "gmail"
# System labels a person thinks of as places; UNREAD, IMPORTANT and the categories are not.
PLACES = {"INBOX": "Inbox", "SENT": "Sent", "STARRED": "Starred", "DRAFT": "Drafts"}
_PLACE_ORDER = list(PLACES)
TRASHED_LABELS = frozenset({"TRASH", "SPAM"})
ALL_MAIL = "All Mail"
NO_SUBJECT = "(no subject)"
ITEM_HEADERS = ("Subject",)  # what a listing reads of each message, besides its labels
SCOPE_KINDS = ("label", "query")


def header(meta: dict[str, Any], name: str) -> str | None:
    for h in (meta.get("payload") or {}).get("headers") or []:
        if str(h.get("name", "")).lower() == name.lower():
            return str(h.get("value") or "")
    return None


def _segment(subject: str) -> str:
    # a '/' inside a subject would otherwise invent a folder level
    return subject.replace("\x00", "\ufffd").replace("/", "\u2215").strip() or NO_SUBJECT


class LabelNames:
    """Label id -> (name, type), read with labels.list once per operation and again when a message
    carries a label created since."""

    def __init__(self, client: GmailClient):
        self._client = client
        self._labels: dict[str, tuple[str, str]] | None = None
        self._missing: set[str] = set()  # ids still unknown after a re-read: not worth another
        self._lock = threading.Lock()

    def reload(self) -> None:
        response = self._client.execute(self._client.users().labels().list(userId="me"), "listing Gmail labels")
        labels = {
            str(lab["id"]): (str(lab.get("name") or lab["id"]), str(lab.get("type") or "user"))
            for lab in response.get("labels") or []
        }
        with self._lock:
            self._labels, self._missing = labels, set()

    def _known(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        with self._lock:
            labels = self._labels
            stale = labels is None or any(i not in labels and i not in self._missing for i in ids)
        if stale:
            self.reload()
            with self._lock:
                assert self._labels is not None
                self._missing |= {i for i in ids if i not in self._labels}
        with self._lock:
            assert self._labels is not None
            return self._labels

    def paths(self, label_ids: Sequence[str], subject: str) -> tuple[str, ...]:
        labels = self._known(label_ids)
        places: list[tuple[int, str]] = []
        for label_id in label_ids:
            if label_id in PLACES:
                places.append((_PLACE_ORDER.index(label_id), PLACES[label_id]))
            elif label_id in labels and labels[label_id][1] == "user":
                places.append((len(_PLACE_ORDER), labels[label_id][0]))
        segment = _segment(subject)
        return tuple(f"{name}/{segment}" for _, name in sorted(places)) or (f"{ALL_MAIL}/{segment}",)

    def resolve(self, root: str) -> str:
        """A label root as its id: ids pass through, a label's name (any case) becomes its id."""
        labels = self._known(())
        if root in labels:
            return root
        return next((lid for lid, (name, _) in labels.items() if name.lower() == root.lower()), root)


def item_version(plan: ExportPlan) -> str:
    """How much of a message the sync takes under `plan`: "metadata", or "full" and a short fingerprint of
    the attachment rules, since in full mode they decide which files the vault holds: under other rules
    every message must be fetched again, to take out what is now forbidden and put in what was left out."""
    if plan.message_content != "full":
        return plan.message_content
    rules = plan.attachments
    types = sorted(rules.allowed_file_types) if rules.allowed_file_types is not None else None
    key = repr((types, rules.max_bytes)).encode()
    return f"full-{hashlib.sha256(key).hexdigest()[:8]}"


def to_item(meta: dict[str, Any], labels: LabelNames, version: str) -> RemoteItem:
    msg_id = str(meta["id"])
    label_ids = [str(lid) for lid in meta.get("labelIds") or []]
    subject = (header(meta, "Subject") or "").strip() or NO_SUBJECT
    internal = meta.get("internalDate")
    return RemoteItem(
        provider=PROVIDER_NAME,
        external_id=msg_id,
        name=subject,
        mime_type=EMAIL,
        paths=labels.paths(label_ids, subject),
        size=None,  # what the vault stores depends on the plan, not on the message's size
        modified_time=datetime.fromtimestamp(int(internal) / 1000, UTC) if internal else None,
        version=version,
        trashed=bool(TRASHED_LABELS & set(label_ids)),
        web_url=f"https://mail.google.com/mail/u/0/#all/{msg_id}",
    )


def check_scope(scope: Scope) -> None:
    if scope.roots and scope.kind not in SCOPE_KINDS:
        raise ConfigurationError(f"Gmail sources are labels or search queries, not {scope.kind!r}")


def in_label_scope(scope: Scope, label_ids: Iterable[str], labels: LabelNames) -> bool:
    have = set(label_ids)
    return any(labels.resolve(root) in have for root in scope.roots)
