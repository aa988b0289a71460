"""One sandbox user's Notion workspace: the mutations tests and seeding make, and what the integration sees.

Ids are dashed UUIDs from the workspace's own seeded RNG, so Notion never shifts Drive's seeded ids.
Every mutation takes the sandbox clock's next tick; content edits (blocks) also bump the page that
holds them, as Notion does. Block lists accept the shorthand of notion_blocks; property values and
schemas the shorthand of notion_properties.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from connectors_pipeline.sandbox.notion_blocks import BlockSpec, expand_blocks, rich_text
from connectors_pipeline.sandbox.notion_model import Block, Database, DataSource, NotionTree, Page, normalize_id
from connectors_pipeline.sandbox.notion_properties import COMPUTED, expand_schema, expand_value, title_property

BlockInput = Iterable[Mapping[str, Any]]


class NotionWorkspace(NotionTree):
    """A user's workspace and the integration's bot in it. Every method takes the sandbox lock."""

    def __init__(
        self,
        email: str,
        display_name: str,
        lock: threading.RLock,
        *,
        mutation_time: Callable[[], datetime],
        clock: Callable[[], datetime],
        seed: str,
    ) -> None:
        super().__init__(lock)
        self.email = email
        self.display_name = display_name
        self._now = mutation_time  # ticks the sandbox clock: for changes only
        self._clock = clock  # reads it: for answers
        self._rng = random.Random(seed)
        self.user_id = self.new_id()  # the person who owns the workspace and edits its pages
        self.bot_id = self.new_id()  # the integration's bot (users.me)
        self.workspace_id = self.new_id()
        self.workspace_name = f"{display_name}'s Notion"

    def new_id(self) -> str:
        with self.lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _id(self, raw: str) -> str:
        found = normalize_id(raw)
        if found is None or not self.exists(found):
            raise KeyError(f"no Notion object {raw!r} in {self.email}'s workspace")
        return found

    # ------------------------------------------------------------------ pages
    def create_page(
        self,
        parent_id: str | None,
        title: str,
        blocks: BlockInput = (),
        properties: Mapping[str, Any] | None = None,
        *,
        icon: str | Mapping[str, Any] | None = None,
    ) -> str:
        """A page at the top of the workspace (parent None, shared with the integration), under a page or
        block (its child_page block goes last in the parent's content), or a row of a data source."""
        with self.lock:
            if parent_id is not None and (pid := self._id(parent_id)) in self.data_sources:
                schema = self.data_sources[pid].schema
                return self.add_row(pid, {title_property(schema): title, **(properties or {})}, blocks)
            if properties:
                raise ValueError("only rows of a data source have properties besides the title")
            now = self._now()
            parent_type, parent = self._content_parent(parent_id)
            page = Page(self.new_id(), parent_type, parent, {"title": rich_text(title)}, now, now, _icon(icon))
            self.pages[page.id] = page
            self._place(page.id, parent, now)
            self._add_blocks(page.id, expand_blocks(blocks), now)
            return page.id

    def add_row(self, data_source_id: str, properties: Mapping[str, Any], blocks: BlockInput = ()) -> str:
        """A page in a data source; `properties` by name, in value shorthand; missing ones are empty."""
        with self.lock:
            ds = self.data_sources[self._id(data_source_id)]
            unknown = set(properties) - set(ds.schema)
            if unknown:
                raise KeyError(f"data source {ds.title!r} has no properties {sorted(unknown)}")
            now = self._now()
            values = {
                name: expand_value(p["type"], properties.get(name), p)
                for name, p in ds.schema.items()
                if p["type"] not in COMPUTED
            }
            page = Page(self.new_id(), "data_source_id", ds.id, values, now, now, unique_number=ds.next_unique)
            ds.next_unique += 1
            self.pages[page.id] = page
            self._add_blocks(page.id, expand_blocks(blocks), now)
            return page.id

    def rename_page(self, page_id: str, title: str) -> None:
        with self.lock:
            page = self.pages[self._id(page_id)]
            page.properties[self.title_name(page)] = rich_text(title)
            page.edited = self._now()

    def set_properties(self, page_id: str, properties: Mapping[str, Any]) -> None:
        """Change some properties of a row (value shorthand)."""
        with self.lock:
            page = self.pages[self._id(page_id)]
            if page.parent_type != "data_source_id":
                raise ValueError("only rows of a data source have properties; use rename_page")
            schema = self.data_sources[page.parent_id or ""].schema
            for name, value in properties.items():
                prop = schema[name]
                if prop["type"] in COMPUTED:
                    raise ValueError(f"{name!r} is computed by Notion")
                page.properties[name] = expand_value(prop["type"], value, prop)
            page.edited = self._now()

    def move_page(self, page_id: str, new_parent_id: str | None, *, shared: bool = True) -> None:
        """Move a page under another page or block, or to the top (shared or not with the integration)."""
        with self.lock:
            page = self.pages[self._id(page_id)]
            if page.parent_type == "data_source_id":
                raise ValueError("moving rows between data sources is not emulated")
            now = self._now()
            if page.parent_id is not None:
                self.children[page.parent_id].remove(page.id)
                self._bump(page.parent_id, now)
            page.parent_type, page.parent_id = self._content_parent(new_parent_id)
            page.shared = shared
            page.edited = now
            self._place(page.id, page.parent_id, now)

    # -------------------------------------------------------------- databases
    def add_database(
        self,
        parent_page_id: str | None,
        title: str,
        schema: Mapping[str, Any],
        inline: bool = False,
        *,
        description: str = "",
    ) -> tuple[str, str]:
        """A database with one data source (schema shorthand); its child_database block goes last in the parent."""
        with self.lock:
            now = self._now()
            parent_type, parent = self._content_parent(parent_page_id)
            db = Database(self.new_id(), title, parent_type, parent, inline, now, now)
            relations = {ds.id: ds.database_id for ds in self.data_sources.values()}
            ds = DataSource(self.new_id(), db.id, title, description, expand_schema(schema, relations), now, now)
            db.data_source_ids.append(ds.id)
            self.databases[db.id] = db
            self.data_sources[ds.id] = ds
            self._place(db.id, parent, now)
            return db.id, ds.id

    # ----------------------------------------------------------------- blocks
    def set_blocks(self, page_id: str, blocks: BlockInput) -> list[str]:
        """Replace a page's content; its child pages and databases stay, after the new blocks."""
        with self.lock:
            pid = self._id(page_id)
            kept = [cid for cid in self.children.get(pid, ()) if cid in self.pages or cid in self.databases]
            for cid in self.children.get(pid, ()):
                if cid in self.blocks:
                    self._forget(cid)
            self.children[pid] = []
            now = self._now()
            ids = self._add_blocks(pid, expand_blocks(blocks), now)
            self.children[pid].extend(kept)
            self._bump(pid, now)
            return ids

    def append_blocks(self, parent_id: str, blocks: BlockInput, *, after: str | None = None) -> list[str]:
        """Add blocks to a page or block, at the end or after the block `after`."""
        with self.lock:
            pid = self._id(parent_id)
            now = self._now()
            position = None if after is None else self.children[pid].index(self._id(after)) + 1
            ids = self._add_blocks(pid, expand_blocks(blocks), now, position)
            self._bump(pid, now)
            return ids

    def update_block(self, block_id: str, text: str | None = None, **changes: Any) -> None:
        """Edit a block's payload: `text` replaces its rich text; other keywords replace payload keys."""
        with self.lock:
            block = self.blocks[self._id(block_id)]
            if text is not None:
                block.payload["rich_text"] = rich_text(text)
            block.payload.update(changes)
            block.edited = self._now()
            self._bump(block.id, block.edited)

    def delete_block(self, block_id: str) -> None:
        """Move a block to the trash (Notion's "delete a block"): gone from its parent's content."""
        with self.lock:
            block = self.blocks[self._id(block_id)]
            block.in_trash = True
            block.edited = self._now()
            self._bump(block.id, block.edited)

    # ------------------------------------------------------ trash and access
    def trash_page(self, object_id: str) -> None:
        """Move a page or database to the trash; it stays retrievable (in_trash true) but leaves search."""
        self._set_trash(object_id, True)

    def restore_page(self, object_id: str) -> None:
        self._set_trash(object_id, False)

    def _set_trash(self, object_id: str, value: bool) -> None:
        with self.lock:
            oid = self._id(object_id)
            obj = self.pages.get(oid) or self.databases.get(oid)
            if obj is None:
                raise KeyError(f"{object_id!r} is no page or database")
            obj.in_trash = value
            obj.edited = self._now()

    def delete_page(self, object_id: str) -> None:
        """Delete a page or database for good, with everything below it: 404 from then on."""
        with self.lock:
            oid = self._id(object_id)
            parent = self.parent_of(oid)
            if parent is not None and oid in self.children.get(parent, []):
                self.children[parent].remove(oid)
            for gone in [*self.descendants(oid), oid]:
                self._forget(gone)

    def unshare(self, object_id: str) -> None:
        """The integration loses access to a top-level page or database and all below it."""
        self._set_shared(object_id, False)

    def share(self, object_id: str) -> None:
        self._set_shared(object_id, True)

    def _set_shared(self, object_id: str, value: bool) -> None:
        with self.lock:
            oid = self._id(object_id)
            top = self.pages.get(oid) or self.databases.get(oid)
            if top is None or top.parent_type != "workspace":
                raise ValueError("only top-level pages and databases are shared with an integration")
            top.shared = value

    def hide_from_search(self, object_id: str, hidden: bool = True) -> None:
        """Search misses the page or data source (as real Notion search does at times); it stays retrievable."""
        with self.lock:
            oid = self._id(object_id)
            obj = self.pages.get(oid) or self.data_sources.get(oid)
            if obj is None:
                raise KeyError(f"{object_id!r} is no page or data source")
            obj.hidden = hidden

    # ---------------------------------------------------------------- reading
    def now_served(self) -> datetime:
        """The sandbox's current time, without ticking it (for signed URLs and the like)."""
        return self._clock()

    # ---------------------------------------------------------------- helpers
    def _content_parent(self, parent_id: str | None) -> tuple[str, str | None]:
        if parent_id is None:
            return "workspace", None
        pid = self._id(parent_id)
        if pid in self.pages:
            return "page_id", pid
        if pid in self.blocks:
            return "block_id", pid
        raise ValueError(f"{parent_id!r} is neither a page nor a block")

    def _place(self, object_id: str, parent_id: str | None, now: datetime) -> None:
        if parent_id is not None:
            self.children.setdefault(parent_id, []).append(object_id)
            self._bump(parent_id, now)

    def _bump(self, object_id: str, now: datetime) -> None:
        """A content edit below a page edits the page."""
        page = self.owner_page(object_id)
        if page is not None:
            page.edited = now

    def _add_blocks(self, parent_id: str, specs: list[BlockSpec], now: datetime, at: int | None = None) -> list[str]:
        content = self.children.setdefault(parent_id, [])
        ids = []
        for offset, spec in enumerate(specs):
            block = Block(self.new_id(), spec.type, spec.payload, parent_id, now, now)
            self.blocks[block.id] = block
            content.insert(len(content) if at is None else at + offset, block.id)
            ids.append(block.id)
            if spec.children:
                self._add_blocks(block.id, spec.children, now)
        return ids

    def _forget(self, object_id: str) -> None:
        for store in (self.pages, self.blocks, self.databases, self.data_sources):
            store.pop(object_id, None)  # type: ignore[attr-defined]
        for child in self.children.pop(object_id, []):
            if child in self.blocks:
                self._forget(child)


def _icon(icon: str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if icon is None:
        return None
    return {"type": "emoji", "emoji": icon} if isinstance(icon, str) else dict(icon)
