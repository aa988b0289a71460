"""Step 1: refresh an account's remote listing and decide what needs fetching, skipping or removing."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from connectors_pipeline.domain.items import RemoteItem, RemovalReason, SkipReason
from connectors_pipeline.providers.base import Provider, Scope
from connectors_pipeline.store import ItemRecord, SourceRecord
from connectors_pipeline.sync.services import SyncServices


@dataclass
class ListingOutcome:
    listed: int = 0
    removed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    cursor: str | None = None
    seconds: float = 0.0
    # What was decided for every listed item: "new", "changed", "moved", "unchanged" or "skipped:<reason>".
    decisions: list[tuple[RemoteItem, str]] = field(default_factory=list)

    def count(self, decision: str) -> int:
        return sum(1 for _, d in self.decisions if d == decision)

    @property
    def to_fetch(self) -> int:
        return self.count("new") + self.count("changed")


def scopes_from_sources(sources: list[SourceRecord]) -> list[Scope]:
    """No registered folder means the whole drive; otherwise the enabled folders, one scope per recursion."""
    folders = [s for s in sources if s.enabled and s.kind == "folder"]
    if not folders:
        return [Scope()]
    return [
        Scope(roots=tuple(s.external_id for s in folders if s.recursive == recursive), recursive=recursive)
        for recursive in (True, False)
        if any(s.recursive == recursive for s in folders)
    ]


def snapshot_items(provider: Provider, scopes: list[Scope]) -> tuple[str | None, Iterator[RemoteItem]]:
    """The cursor of the first snapshot (taken before any listing) and every item once."""
    snapshots = [provider.snapshot(scope) for scope in scopes]

    def unique() -> Iterator[RemoteItem]:
        emitted: set[str] = set()
        for snapshot in snapshots:
            for item in snapshot.items:
                if item.external_id not in emitted:
                    emitted.add(item.external_id)
                    yield item

    return snapshots[0].cursor, unique()


# Skips found by fetching or reading the content: trying the same version again would only fail again.
CONTENT_SKIPS = frozenset(
    {SkipReason.EXPORT_TOO_LARGE, SkipReason.EXTRACTION_FAILED, SkipReason.UNSUPPORTED_TYPE, SkipReason.NOT_FOUND}
)


def needs_fetch(item: RemoteItem, record: ItemRecord | None) -> bool:
    """Gate one of two: the provider's version (or modified time when it has none) moved on."""
    if record is None:
        return True
    if record.status == "skipped" and record.skip_reason in CONTENT_SKIPS:
        return (item.version, item.modified_time) != (record.version, record.modified_time)
    if record.status != "synced":
        return True
    if item.version is not None:
        return item.version != record.synced_version
    return item.modified_time != record.modified_time


def refresh_listing(services: SyncServices, partition_key: str) -> ListingOutcome:
    started = time.monotonic()
    store, policy = services.store, services.policy
    provider = services.provider(partition_key)
    cursor, items = snapshot_items(provider, scopes_from_sources(store.list_sources(partition_key)))
    known = store.load_items(partition_key)
    outcome = ListingOutcome(cursor=cursor)
    to_save: list[RemoteItem] = []
    seen: set[str] = set()
    skips: list[tuple[RemoteItem, SkipReason]] = []
    moves: list[RemoteItem] = []

    for item in items:
        seen.add(item.external_id)
        outcome.listed += 1
        record = known.get(item.external_id)
        reason = policy.skip_reason(item)
        if reason is not None:
            skips.append((item, reason))
            outcome.decisions.append((item, f"skipped:{reason.value}"))
            continue
        if needs_fetch(item, record):
            to_save.append(item)
            decision = "new" if record is None else "changed"
        elif record is not None and (record.name, record.paths) != (item.name, item.paths):
            # A parent folder renamed or moved: Drive keeps the file's version, so only paths change.
            moves.append(item)
            decision = "moved"
        else:
            decision = "unchanged"
        outcome.decisions.append((item, decision))

    store.save_remote_items(partition_key, to_save, status="pending")
    store.record_moves(partition_key, moves)
    store.save_remote_items(
        partition_key, [item for item, _ in skips if item.external_id not in known], status="pending"
    )
    for item, reason in skips:
        # For an item already in the vault (now trashed, or excluded by a tightened policy) the store
        # also marks its document deleted with this reason.
        record = known.get(item.external_id)
        if record is not None and record.vault_document_id is not None and record.status not in ("skipped", "deleted"):
            outcome.removed += 1
        store.record_skip(partition_key, item.external_id, reason)
        outcome.skipped[reason.value] += 1

    # A full snapshot cannot tell deletion from lost access; the change feed can (later issue).
    vanished = [key for key, record in known.items() if key not in seen and record.status != "deleted"]
    for external_id in vanished:
        if store.record_removal(partition_key, external_id, RemovalReason.DELETED.value):
            outcome.removed += 1

    outcome.seconds = time.monotonic() - started
    return outcome
