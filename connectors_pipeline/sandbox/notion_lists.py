"""Notion's paginated listings: search, data source queries and block children, with their validation.

A cursor is the id of the first item of the next page, as recorded for block children (reference
§4.2); search and queries use the same scheme. A cursor that is not in the listing any more is a 400
validation_error, as an unknown cursor is in Notion.

Search: title substring (case-insensitive), filter by object, sort by last_edited_time (to the
minute for pages, as served; ties by id). Without a sort it answers most recently edited first
(Notion's own default is relevance, which has no emulation). Trashed, unshared and hidden objects
never show.

Data source queries: rows in creation order; `sorts` by `created_time`/`last_edited_time` timestamps
and `filter` on those timestamps (`after`, `on_or_after`, `before`, `on_or_before`, `equals`) are
emulated; any other filter or sort answers 400 validation_error naming what the sandbox lacks, rather
than silently returning the wrong rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from connectors_pipeline.sandbox.notion_errors import validation_error
from connectors_pipeline.sandbox.notion_model import DataSource, Page
from connectors_pipeline.sandbox.notion_state import NotionWorkspace

T = TypeVar("T")
MAX_PAGE_SIZE = 100


def page_size(raw: Any, where: str) -> int:
    """`page_size` from a JSON body or a query string: 1..100, default 100."""
    if raw is None:
        return MAX_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise validation_error(f"{where}.page_size should be a number, instead was `{raw!r}`.") from None
    if isinstance(raw, bool) or size < 1 or size > MAX_PAGE_SIZE:
        raise validation_error(
            f"{where} failed validation: {where}.page_size should be ≤ `{MAX_PAGE_SIZE}` and ≥ `1`, "
            f"instead was `{raw}`."
        )
    return size


def paginate(ids: Sequence[str], start_cursor: str | None, size: int) -> tuple[list[str], str | None]:
    """(this page's ids, next cursor or None) from the full ordered listing."""
    start = 0
    if start_cursor:
        try:
            start = list(ids).index(start_cursor)
        except ValueError:
            raise validation_error(f"start_cursor provided is invalid: {start_cursor}") from None
    page = list(ids[start : start + size])
    following = ids[start + size] if start + size < len(ids) else None
    return page, following


def _edited_key(ws: NotionWorkspace, oid: str) -> tuple[datetime, str]:
    if oid in ws.pages:
        return ws.pages[oid].edited.replace(second=0, microsecond=0), oid
    edited = ws.data_sources[oid].edited
    return edited.replace(microsecond=edited.microsecond // 1000 * 1000), oid


def search_ids(ws: NotionWorkspace, body: Mapping[str, Any]) -> list[str]:
    """Every id search would list for this body, in order (before paging)."""
    query = body.get("query") or ""
    if not isinstance(query, str):
        raise validation_error("body failed validation: body.query should be a string.")
    kinds = {"page", "data_source"}
    flt = body.get("filter")
    if flt is not None:
        value = flt.get("value") if isinstance(flt, Mapping) else None
        if not isinstance(flt, Mapping) or flt.get("property") != "object" or value not in kinds:
            raise validation_error(
                'body failed validation: body.filter.value should be `"page"` or `"data_source"`, '
                f"instead was `{value!r}`."
            )
        kinds = {value}
    descending = True
    sort = body.get("sort")
    if sort is not None:
        if (
            not isinstance(sort, Mapping)
            or sort.get("timestamp") != "last_edited_time"
            or sort.get("direction") not in ("ascending", "descending")
        ):
            raise validation_error(
                'body failed validation: body.sort should be `{"timestamp": "last_edited_time", '
                '"direction": "ascending" | "descending"}`.'
            )
        descending = sort["direction"] == "descending"
    needle = query.casefold()
    found: list[str] = []
    pools: list[Mapping[str, Page | DataSource]] = []
    if "page" in kinds:
        pools.append(ws.pages)
    if "data_source" in kinds:
        pools.append(ws.data_sources)
    for pool in pools:
        for oid, obj in pool.items():
            if obj.hidden or not ws.reachable(oid) or ws.trashed(oid):
                continue
            if needle and needle not in ws.title_of(oid).casefold():
                continue
            found.append(oid)
    keyed = sorted(found, key=lambda oid: _edited_key(ws, oid))
    if descending:
        # Newest first, but ties still by id ascending, so paging is stable.
        keyed.sort(key=lambda oid: _edited_key(ws, oid)[0], reverse=True)
    return keyed


_TIMESTAMPS = ("created_time", "last_edited_time")
_COMPARISONS = {
    "after": lambda t, ref: t > ref,
    "on_or_after": lambda t, ref: t >= ref,
    "before": lambda t, ref: t < ref,
    "on_or_before": lambda t, ref: t <= ref,
    "equals": lambda t, ref: t == ref,
}


def query_ids(ws: NotionWorkspace, ds: DataSource, body: Mapping[str, Any]) -> list[str]:
    """The rows a data source query lists, in order (before paging)."""
    include_trashed = bool(body.get("in_trash") or body.get("archived"))
    rows = [p for p in ws.rows(ds.id) if include_trashed or not ws.trashed(p.id)]
    flt = body.get("filter")
    if flt:
        rows = [p for p in rows if _matches(p, flt)]
    for sort in reversed(body.get("sorts") or ()):
        if not isinstance(sort, Mapping) or sort.get("timestamp") not in _TIMESTAMPS:
            raise validation_error("the sandbox emulates sorts by created_time and last_edited_time only")
        attr = "created" if sort["timestamp"] == "created_time" else "edited"
        rows.sort(
            key=lambda p, a=attr: getattr(p, a).replace(second=0, microsecond=0),
            reverse=sort.get("direction") == "descending",
        )
    return [p.id for p in rows]


def _matches(page: Page, flt: Any) -> bool:
    if not isinstance(flt, Mapping) or flt.get("timestamp") not in _TIMESTAMPS:
        raise validation_error("the sandbox emulates filters on created_time and last_edited_time only")
    kind = flt["timestamp"]
    condition = flt.get(kind)
    if not isinstance(condition, Mapping) or len(condition) != 1 or next(iter(condition)) not in _COMPARISONS:
        raise validation_error(f"body failed validation: body.filter.{kind} should hold one comparison.")
    op, raw = next(iter(condition.items()))
    try:
        ref = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise validation_error(f"body.filter.{kind}.{op} should be an ISO 8601 date, instead was `{raw}`.") from None
    if ref.tzinfo is None:
        ref = ref.replace(tzinfo=page.created.tzinfo)
    value = (page.created if kind == "created_time" else page.edited).replace(second=0, microsecond=0)
    return bool(_COMPARISONS[op](value, ref))
