"""Incremental Notion: what search reports as edited since the cursor, read newest first.

The cursor is the newest `last_edited_time` seen. Notion keeps page times to the minute, so a page
edited again within the minute the last sync read it in looks unchanged; every read therefore
overlaps the previous one by OVERLAP, and a page edited in or after the cursor's minute is marked
`recheck`: the pipeline fetches it again and its text hash decides whether a new vault version is
due. The cost: the pages of the newest minute are read again by the next sync.

Search does not report pages moved to the trash or deleted; those leave the vault at the next full
walk (the reconciliation schedule).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors_pipeline.domain.errors import StaleCursorError
from connectors_pipeline.domain.items import Change, RemovalReason
from connectors_pipeline.providers.base import ChangeBatch, Scope
from connectors_pipeline.providers.notion.client import PAGE_SIZE, NotionApi
from connectors_pipeline.providers.notion.nodes import Ancestry, Node, parse_time

OVERLAP = timedelta(minutes=2)
_NEWEST_FIRST = {"timestamp": "last_edited_time", "direction": "descending"}


# How far our clock may be from Notion's: a minute read this close to its end counts as still open.
CLOCK_SKEW = timedelta(seconds=30)


def encode_cursor(since: str | None, read_at: datetime | None = None) -> str:
    """`since`: the newest edit seen; `read_at`: when (our clock) it was read, which tells whether
    that minute was still open then."""
    read_at = read_at or datetime.now(UTC)
    return json.dumps({"since": since, "read_at": read_at.isoformat()})


def decode_cursor(cursor: str) -> tuple[str | None, datetime | None]:
    try:
        value = json.loads(cursor)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("since"), str | None):
        raise StaleCursorError("the Notion cursor is not one this version wrote")
    read_at = parse_time(value["read_at"]) if isinstance(value.get("read_at"), str) else None
    return value["since"], read_at


def unsettled(node: Node, since: str | None) -> bool:
    """Whether the node may have changed unseen since it was last read: edited in the cursor's minute
    or later (page times are whole minutes; data sources have milliseconds)."""
    edited, boundary = parse_time(node.last_edited_time), parse_time(since) if since else None
    return edited is not None and boundary is not None and edited >= boundary.replace(second=0, microsecond=0)


def newer(a: str | None, b: str | None) -> str | None:
    """The later of two Notion times (their formats differ: minutes with Z, milliseconds with +00:00)."""
    ta, tb = parse_time(a) if a else None, parse_time(b) if b else None
    if ta is None:
        return b
    if tb is None:
        return a
    return a if ta >= tb else b


def edited_since(api: NotionApi, since: str | None) -> list[dict[str, Any]]:
    """Pages and data sources edited at or after `since` less the overlap, newest first."""
    start = parse_time(since) - OVERLAP if since and parse_time(since) else None
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        args: dict[str, Any] = {"sort": _NEWEST_FIRST, "page_size": PAGE_SIZE}
        if cursor:
            args["start_cursor"] = cursor
        answer = api.call("searching recent edits", lambda c, a=args: c.search(**a))
        for obj in answer.get("results") or ():
            edited = parse_time(obj.get("last_edited_time") or "")
            if start is not None and edited is not None and edited < start:
                return found
            found.append(obj)
        cursor = answer.get("next_cursor")
        if not answer.get("has_more") or not cursor:
            return found


def list_changes(api: NotionApi, ancestry: Ancestry, cursor: str, scopes: Sequence[Scope]) -> ChangeBatch:
    since, _ = decode_cursor(cursor)
    read_at = datetime.now(UTC)
    changes: list[Change] = []
    newest = since
    for obj in edited_since(api, since):
        node = ancestry.add(obj)
        newest = newer(newest, node.last_edited_time)
        if any(ancestry.in_scope(node, scope) for scope in scopes):
            changes.append(Change(node.id, item=ancestry.item(node, recheck=unsettled(node, since))))
        else:
            changes.append(Change(node.id, removal=RemovalReason.MOVED_OUT_OF_SCOPE))
    return ChangeBatch(changes=changes, next_cursor=encode_cursor(newest, read_at))


def has_changes(api: NotionApi, cursor: str, now: datetime | None = None) -> bool:
    """One search, newest first: something was edited after the cursor, or in the cursor's own
    minute after the last sync read it (page times are minutes: only a later read can tell)."""
    since, read_at = decode_cursor(cursor)
    answer = api.call("reading the newest edit", lambda c: c.search(sort=_NEWEST_FIRST, page_size=1))
    results = answer.get("results") or []
    if not results:
        return False
    newest, known = parse_time(results[0].get("last_edited_time") or ""), parse_time(since) if since else None
    if known is None or (newest is not None and newest > known):
        return True
    minute_ends = known.replace(second=0, microsecond=0) + timedelta(minutes=1)
    read_while_open = read_at is not None and read_at < minute_ends + CLOCK_SKEW
    return read_while_open and (now or datetime.now(UTC)) >= minute_ends + CLOCK_SKEW
