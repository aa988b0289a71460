"""The objects of an emulated Notion workspace, and how they hang together: parents, access and trash.

Pages, blocks, databases and data sources live in flat dicts keyed by dashed id; the order of a
page's or block's content is a list of child ids, where a child page or database stands in for its
`child_page`/`child_database` block (the block id IS the page or database id, as in Notion). A data
source's rows are the pages whose parent is that data source; they sit in no content list.

The integration sees an object when the top of its parent chain is a page or database shared with it
and nothing on the way was deleted (deleted objects are gone from the dicts). An object counts as in
the trash when it or anything above it is.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors_pipeline.sandbox.notion_blocks import plain

_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def normalize_id(raw: str) -> str | None:
    """The dashed lowercase form of an id given with or without dashes; None when it is no UUID."""
    compact = raw.strip().lower().replace("-", "")
    if not _HEX32.match(compact):
        return None
    return f"{compact[:8]}-{compact[8:12]}-{compact[12:16]}-{compact[16:20]}-{compact[20:]}"


def minute(t: datetime) -> str:
    """Notion's page and block times: to the minute."""
    return t.strftime("%Y-%m-%dT%H:%M:00.000Z")


def millis(t: datetime) -> str:
    """Database and data source times, as recorded: milliseconds with an explicit offset."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+00:00"


@dataclass
class Page:
    id: str
    parent_type: str  # "workspace" | "page_id" | "block_id" | "data_source_id"
    parent_id: str | None
    properties: dict[str, Any]  # property name -> the value under its type (rows: per schema; else "title")
    created: datetime
    edited: datetime  # exact; served to the minute
    icon: dict[str, Any] | None = None
    in_trash: bool = False
    shared: bool = True  # top-level pages only: whether the integration was given access
    hidden: bool = False  # search misses it (it stays retrievable)
    unique_number: int | None = None  # rows: the data source's unique_id counter


@dataclass
class Block:
    id: str
    type: str
    payload: dict[str, Any]
    parent_id: str  # a page or a block
    created: datetime
    edited: datetime
    in_trash: bool = False


@dataclass
class Database:
    id: str
    title: str
    parent_type: str  # "workspace" | "page_id" | "block_id"
    parent_id: str | None
    is_inline: bool
    created: datetime
    edited: datetime
    data_source_ids: list[str] = field(default_factory=list)
    icon: dict[str, Any] | None = None
    in_trash: bool = False
    shared: bool = True


@dataclass
class DataSource:
    id: str
    database_id: str
    title: str
    description: str
    schema: dict[str, dict[str, Any]]
    created: datetime
    edited: datetime
    hidden: bool = False
    next_unique: int = 1


class NotionTree:
    """Storage and the parent chain; NotionWorkspace adds the mutations."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.pages: dict[str, Page] = {}
        self.blocks: dict[str, Block] = {}
        self.databases: dict[str, Database] = {}
        self.data_sources: dict[str, DataSource] = {}
        self.children: dict[str, list[str]] = {}  # page or block id -> ordered child ids

    # ------------------------------------------------------------------ chain
    def parent_of(self, object_id: str) -> str | None:
        """The next object up (page, block, database or data source); None at the top."""
        if (page := self.pages.get(object_id)) is not None:
            return page.parent_id
        if (block := self.blocks.get(object_id)) is not None:
            return block.parent_id
        if (db := self.databases.get(object_id)) is not None:
            return db.parent_id
        if (ds := self.data_sources.get(object_id)) is not None:
            return ds.database_id
        return None

    def chain(self, object_id: str) -> Iterator[str]:
        """The object and everything above it, nearest first (stops at a missing link)."""
        current: str | None = object_id
        while current is not None and self.exists(current):
            yield current
            current = self.parent_of(current)

    def exists(self, object_id: str) -> bool:
        return any(object_id in d for d in (self.pages, self.blocks, self.databases, self.data_sources))

    def reachable(self, object_id: str) -> bool:
        """Whether the integration can see the object at all (in the trash or not)."""
        above = list(self.chain(object_id))
        if not above:
            return False
        top = above[-1]
        root = self.pages.get(top) or self.databases.get(top)
        return root is not None and root.parent_type == "workspace" and root.shared

    def trashed(self, object_id: str) -> bool:
        for oid in self.chain(object_id):
            obj = self.pages.get(oid) or self.blocks.get(oid) or self.databases.get(oid)
            if obj is not None and obj.in_trash:
                return True
        return False

    def owner_page(self, object_id: str) -> Page | None:
        """The page whose content holds this block (or the page itself)."""
        return next((self.pages[oid] for oid in self.chain(object_id) if oid in self.pages), None)

    # ----------------------------------------------------------------- titles
    def title_of(self, object_id: str) -> str:
        if (page := self.pages.get(object_id)) is not None:
            return plain(self.title_items(page))
        if (db := self.databases.get(object_id)) is not None:
            return db.title
        if (ds := self.data_sources.get(object_id)) is not None:
            return ds.title
        return ""

    def title_items(self, page: Page) -> list[dict[str, Any]]:
        return page.properties[self.title_name(page)]

    def title_name(self, page: Page) -> str:
        if page.parent_type == "data_source_id":
            schema = self.data_sources[page.parent_id or ""].schema
            return next(name for name, p in schema.items() if p["type"] == "title")
        return "title"

    # -------------------------------------------------------------- listings
    def visible_items(self) -> list[dict[str, Any]]:
        """What the integration can see: every page and data source, trashed ones included, as
        {id, kind, title, in_trash, parent_ids, path}: ancestors (pages and data sources only) from
        the top down, and their titles followed by the item's own."""
        with self.lock:
            items = []
            for kind, ids in (("page", list(self.pages)), ("data_source", list(self.data_sources))):
                for oid in ids:
                    if not self.reachable(oid):
                        continue
                    ancestors = [a for a in list(self.chain(oid))[1:] if a in self.pages or a in self.data_sources]
                    ancestors.reverse()
                    items.append(
                        {
                            "id": oid,
                            "kind": kind,
                            "title": self.title_of(oid),
                            "in_trash": self.trashed(oid),
                            "parent_ids": ancestors,
                            "path": [*(self.title_of(a) for a in ancestors), self.title_of(oid)],
                        }
                    )
            return items

    def visible_children(self, parent_id: str) -> list[str]:
        """Content ids of a page or block, without trashed blocks, pages or databases.

        A duplicate synced block has no content of its own: it lists its original's.
        """
        block = self.blocks.get(parent_id)
        if block is not None and block.type == "synced_block":
            source = (block.payload.get("synced_from") or {}).get("block_id")
            if source in self.blocks:
                parent_id = source
        return [cid for cid in self.children.get(parent_id, ()) if self.exists(cid) and not self._own_trash(cid)]

    def _own_trash(self, object_id: str) -> bool:
        obj = self.pages.get(object_id) or self.blocks.get(object_id) or self.databases.get(object_id)
        return bool(obj is not None and obj.in_trash)

    def rows(self, data_source_id: str) -> list[Page]:
        return [p for p in self.pages.values() if p.parent_type == "data_source_id" and p.parent_id == data_source_id]

    def descendants(self, object_id: str) -> list[str]:
        """Every object below this one (content, subpages, databases, rows), for permanent deletion."""
        everything = [*self.pages, *self.blocks, *self.databases, *self.data_sources]
        return [oid for oid in everything if oid != object_id and object_id in self.chain(oid)]
