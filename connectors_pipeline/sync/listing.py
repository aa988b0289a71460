"""Step 1: refresh an account's remote listing and decide what needs fetching, skipping or removing."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from connectors_pipeline.domain.items import RemoteItem, RemovalReason, SkipReason
from connectors_pipeline.providers.base import Scope
from connectors_pipeline.store import ItemRecord, SourceRecord
from connectors_pipeline.sync.services import SyncServices


@dataclass
class ListingOutcome:
    listed: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    by_file_type: Counter[str] = field(default_factory=Counter)
    cursor: str | None = None
    seconds: float = 0.0

    @property
    def to_fetch(self) -> int:
        return self.new + self.changed


def scope_from_sources(sources: list[SourceRecord]) -> Scope:
    """No registered folder means the whole drive; otherwise the union of the enabled folders."""
    folders = [s for s in sources if s.enabled and s.kind == "folder"]
    if not folders:
        return Scope()
    return Scope(roots=tuple(s.external_id for s in folders), recursive=all(s.recursive for s in folders))


def needs_fetch(item: RemoteItem, record: ItemRecord | None) -> bool:
    """Gate one of two: the provider's version (or modified time when it has none) moved on."""
    if record is None or record.status != "synced":
        return True
    if item.version is not None:
        return item.version != record.synced_version
    return item.modified_time != record.modified_time


def refresh_listing(services: SyncServices, partition_key: str) -> ListingOutcome:
    started = time.monotonic()
    store, policy = services.store, services.policy
    provider = services.provider(partition_key)
    snapshot = provider.snapshot(scope_from_sources(store.list_sources(partition_key)))
    known = store.load_items(partition_key)
    outcome = ListingOutcome(cursor=snapshot.cursor)
    to_save: list[RemoteItem] = []
    seen: set[str] = set()
    skips: list[tuple[RemoteItem, SkipReason]] = []

    for item in snapshot.items:
        seen.add(item.external_id)
        outcome.listed += 1
        record = known.get(item.external_id)
        reason = policy.skip_reason(item)
        if reason is not None:
            skips.append((item, reason))
            continue
        outcome.by_file_type[item.mime_type] += 1
        if needs_fetch(item, record):
            to_save.append(item)
            if record is None:
                outcome.new += 1
            else:
                outcome.changed += 1
        else:
            outcome.unchanged += 1

    store.save_remote_items(partition_key, to_save, status="pending")
    store.save_remote_items(
        partition_key, [item for item, _ in skips if item.external_id not in known], status="pending"
    )
    for item, reason in skips:
        # For an item already in the vault (now trashed, or excluded by a tightened policy) the store
        # also marks its document deleted with this reason.
        store.record_skip(partition_key, item.external_id, reason)
        outcome.skipped[reason.value] += 1

    # A full snapshot cannot tell deletion from lost access; the change feed can (later issue).
    vanished = [key for key, record in known.items() if key not in seen and record.status != "deleted"]
    for external_id in vanished:
        if store.record_removal(partition_key, external_id, RemovalReason.DELETED.value):
            outcome.removed += 1

    outcome.seconds = time.monotonic() - started
    return outcome
