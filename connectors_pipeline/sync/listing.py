"""Step 1: bring an account's items up to date (change feed or snapshot) and decide what to fetch, skip or remove."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from connectors_pipeline.domain.errors import StaleCursorError
from connectors_pipeline.domain.items import Change, RemoteItem, RemovalReason, SkipReason
from connectors_pipeline.extract.names import display_name, display_path
from connectors_pipeline.providers.base import Provider, Scope
from connectors_pipeline.store import ItemRecord, SourceRecord
from connectors_pipeline.sync.cursors import SyncCursor
from connectors_pipeline.sync.services import SyncServices


@dataclass
class ListingOutcome:
    """What one account's listing step saw and decided.

    `mode` is how the listing was read: `initial` (first snapshot), `incremental` (the change feed)
    or `reconcile` (a snapshot compared with what the pipeline already knew; requested by the
    reconciliation schedule, or a fallback whose cause is in `fallback`).
    """

    mode: str = "initial"
    fallback: str | None = None  # why a snapshot replaced the feed: stale_cursor, scope_changed, policy_changed
    listed: int = 0
    removed: Counter[str] = field(default_factory=Counter)  # items that left the vault, by reason
    skipped: Counter[str] = field(default_factory=Counter)
    cursor: str | None = None
    seconds: float = 0.0
    # What was decided for every listed item: "new", "changed", "recheck" (fetched again because its version
    # cannot prove it unchanged; not a change the feed missed), "moved", "unchanged" or "skipped:<reason>".
    decisions: list[tuple[RemoteItem, str]] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)  # known items the listing found gone

    def count(self, decision: str) -> int:
        return sum(1 for _, d in self.decisions if d == decision)

    @property
    def to_fetch(self) -> int:
        return self.count("new") + self.count("changed") + self.count("recheck")

    @property
    def complete(self) -> bool:
        """Whether `decisions` cover every item of the account (a snapshot) or only what changed."""
        return self.mode != "incremental"

    @property
    def missed(self) -> dict[str, int]:
        """For a reconciliation: what the snapshot found that the change feed had not delivered."""
        counts = {decision: self.count(decision) for decision in ("new", "changed", "moved")}
        return {**counts, "removed": sum(self.removed.values())}


def scopes_from_sources(sources: list[SourceRecord]) -> list[Scope]:
    """No registered source means the whole account; otherwise the enabled sources, one scope for each
    kind (folder, page, database, label, query) and recursion."""
    enabled = [s for s in sources if s.enabled]
    if not enabled:
        return [Scope()]
    groups: dict[tuple[str, bool], list[str]] = {}
    for source in sorted(enabled, key=lambda s: (s.kind, not s.recursive, s.external_id)):
        groups.setdefault((source.kind, source.recursive), []).append(source.external_id)
    return [Scope(roots=tuple(roots), recursive=recursive, kind=kind) for (kind, recursive), roots in groups.items()]


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


def content_changed(item: RemoteItem, record: ItemRecord, version_seen: str | None) -> bool:
    """Gate one of two: the provider says the bytes moved on.

    A checksum changes with the bytes only; Drive's `version` also counts renames, moves and stars,
    so it decides only where there is no checksum (provider-native documents), then modified time.
    """
    if item.md5 and record.md5:
        return item.md5 != record.md5
    if item.version is not None:
        return item.version != version_seen
    return item.modified_time != record.modified_time


def needs_fetch(item: RemoteItem, record: ItemRecord | None) -> bool:
    if record is None or item.recheck:
        return True
    if record.status == "skipped" and record.skip_reason in CONTENT_SKIPS:
        return content_changed(item, record, record.version)
    if record.status != "synced":
        return True
    return content_changed(item, record, record.synced_version)


def refresh_listing(services: SyncServices, partition_key: str, mode: str = "auto") -> ListingOutcome:
    """Bring the account's items up to date: from the change feed when its cursor is good, else a snapshot.

    `mode` "reconcile" asks for a snapshot even when the feed could be read. The returned cursor is
    only staged by the caller; it is committed once the vault holds everything it covers.
    """
    started = time.monotonic()
    store = services.store
    scopes = scopes_from_sources(store.list_sources(partition_key))
    provider = services.provider(partition_key)
    committed = store.get_cursor(partition_key)
    outcome, fallback = None, None
    if committed is not None and mode != "reconcile":
        outcome, fallback = _read_feed(services, partition_key, provider, scopes, SyncCursor.decode(committed))
        if outcome is None:
            store.log_activity("connector_cursor_reset", partition_key=partition_key, context={"reason": fallback})
    if outcome is None:
        mode = "initial" if committed is None else "reconcile"
        outcome = _read_snapshot(services, partition_key, provider, scopes, ListingOutcome(mode, fallback))
    outcome.seconds = time.monotonic() - started
    return outcome


def _read_feed(
    services: SyncServices, partition_key: str, provider: Provider, scopes: list[Scope], cursor: SyncCursor
) -> tuple[ListingOutcome | None, str | None]:
    """The outcome of applying the change feed, or None and why the feed cannot be used."""
    fallback = cursor.snapshot_needed(scopes, services.policy)
    if fallback is not None:
        return None, fallback
    try:
        batch = provider.changes(cursor.token, scopes)
    except StaleCursorError:
        return None, "stale_cursor"
    next_cursor = SyncCursor.taken(batch.next_cursor, scopes, services.policy)
    outcome = ListingOutcome(mode="incremental", cursor=next_cursor.encode())
    # Only the changed items are read: a quiet poll of a large account stays cheap.
    known = services.store.load_items(partition_key, external_ids=[change.external_id for change in batch.changes])
    changes = batch.changes + _below_moved(services, partition_key, provider, scopes, batch.changes, known)
    upserts = [change.item for change in changes if change.item is not None]
    _apply_items(services, partition_key, upserts, known, outcome)
    removals = [(change.external_id, change.removal) for change in changes if change.removal is not None]
    _apply_removals(services, partition_key, removals, known, outcome)
    return outcome, None


def _below_moved(
    services: SyncServices,
    partition_key: str,
    provider: Provider,
    scopes: list[Scope],
    changes: list[Change],
    known: dict[str, ItemRecord],
) -> list[Change]:
    """The provider's items inside those the feed reports renamed, moved or moved out (a Notion
    page's subpages); `known` gains their records."""
    moved = [
        change.external_id
        for change in changes
        if (record := known.get(change.external_id)) is not None
        and (change.removal is not None or (change.item is not None and change.item.paths != tuple(record.paths)))
    ]
    if not moved:
        return []
    reported = {change.external_id for change in changes}
    below = [change for change in provider.below(moved, scopes) if change.external_id not in reported]
    known.update(services.store.load_items(partition_key, external_ids=[change.external_id for change in below]))
    return below


def _read_snapshot(
    services: SyncServices, partition_key: str, provider: Provider, scopes: list[Scope], outcome: ListingOutcome
) -> ListingOutcome:
    token, items = snapshot_items(provider, scopes)
    if token is not None:
        outcome.cursor = SyncCursor.taken(token, scopes, services.policy).encode()
    known = services.store.load_items(partition_key)
    seen = _apply_items(services, partition_key, items, known, outcome)
    vanished = [key for key, record in known.items() if key not in seen and record.status != "deleted"]
    still_there, removals = _why_gone(provider, vanished, scopes)
    _apply_items(services, partition_key, still_there, known, outcome)
    _apply_removals(services, partition_key, removals, known, outcome)
    return outcome


def _why_gone(
    provider: Provider, vanished: list[str], scopes: list[Scope]
) -> tuple[list[RemoteItem], list[tuple[str, RemovalReason]]]:
    """Items a full listing no longer shows were trashed, deleted, unshared or moved out of the
    scopes, or the listing missed them: one lookup each tells which (the cost follows the changes,
    not the account's size)."""
    still_there, removals = [], []
    for external_id in vanished:
        item = provider.locate(external_id)
        if item is None:
            removals.append((external_id, RemovalReason.DELETED))  # or unshared: see _apply_removals
        elif item.trashed or provider.missed_by_listing(item, scopes):
            still_there.append(item)  # trashed: skipped, restored when untrashed, as the feed does
        else:
            removals.append((external_id, RemovalReason.MOVED_OUT_OF_SCOPE))
    return still_there, removals


def _apply_items(
    services: SyncServices,
    partition_key: str,
    items: Iterable[RemoteItem],
    known: dict[str, ItemRecord],
    outcome: ListingOutcome,
) -> set[str]:
    """Decide for each item (skip, fetch, move, leave) and record it; returns the ids seen."""
    store, policy = services.store, services.policy
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
            if record is None:
                decision = "new"
            elif item.recheck and record.status == "synced" and item.version == record.synced_version:
                decision = "recheck"
            else:
                decision = "changed"
        elif record is not None and _where_and_whose(record) != _where_and_whose(item):
            # Renamed, moved (or a parent folder was), or its owner changed: metadata only, no download.
            moves.append(item)
            decision = "moved"
        else:
            decision = "unchanged"
        outcome.decisions.append((item, decision))

    store.save_remote_items(partition_key, to_save, status="pending")
    store.record_moves(partition_key, moves, shown=document_names)
    # A skipped item's remote state is kept too (for the next version gate and for ownership).
    store.save_remote_items(partition_key, [item for item, _ in skips if item.external_id not in known], "pending")
    for item, reason in skips:
        # For an item already in the vault (now trashed, or excluded by a tightened policy) the store
        # also marks its document deleted with this reason.
        record = known.get(item.external_id)
        if record is not None and record.vault_document_id is not None and record.status not in ("skipped", "deleted"):
            outcome.removed[reason.value] += 1
        store.record_skip(partition_key, item.external_id, reason)
        outcome.skipped[reason.value] += 1
    return seen


def document_names(item: RemoteItem) -> tuple[str, list[str]]:
    """The title and paths a vault document shows for the item, made safe as ingestion makes them."""
    return display_name(item.name), [display_path(path) for path in item.paths]


def _where_and_whose(item: RemoteItem | ItemRecord) -> tuple[str, tuple[str, ...], bool]:
    return item.name, tuple(item.paths), item.owned_by_account


def _apply_removals(
    services: SyncServices,
    partition_key: str,
    removals: list[tuple[str, RemovalReason]],
    known: dict[str, ItemRecord],
    outcome: ListingOutcome,
) -> None:
    for external_id, reason in removals:
        record = known.get(external_id)
        if record is None:
            continue  # never synced (or a shortcut, a folder): nothing to take out
        if reason == RemovalReason.DELETED and not record.owned_by_account:
            # Someone else's file: unshared or deleted by its owner look the same from this account.
            reason = RemovalReason.ACCESS_LOST
        outcome.removed_ids.append(external_id)
        if services.store.record_removal(partition_key, external_id, reason.value):
            outcome.removed[reason.value] += 1
