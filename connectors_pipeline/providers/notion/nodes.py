"""What the sync knows of a Notion page or data source, and the ancestry that gives it a path and a scope.

Notion has no folders: a page lives in the workspace, in another page (possibly inside a block of
it: a column, a toggle), or as a row of a data source, which sits in a database, which sits in a
page. `Ancestry` resolves those parents (from what a walk already saw, else with one request each,
cached) so every item gets a path of titles and a scope check by its ancestors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors_pipeline.domain.errors import NotFoundError
from connectors_pipeline.domain.file_types import NOTION_DATABASE, NOTION_PAGE
from connectors_pipeline.domain.items import RemoteItem
from connectors_pipeline.providers.base import Scope
from connectors_pipeline.providers.notion.client import NotionApi
from connectors_pipeline.providers.notion.markdown import data_source_title, page_title

PROVIDER_NAME = "notion"
MAX_DEPTH = 64  # ancestry deeper than this is a cycle or a pathological workspace: stop there


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # "page" | "data_source"
    title: str
    parent: str | None  # the page or data source it sits in; None at the top of what is visible
    last_edited_time: str
    in_trash: bool
    url: str | None
    database: str | None = None  # a data source's database id

    @classmethod
    def of(cls, obj: dict[str, Any], parent: str | None) -> Node:
        is_page = obj.get("object") == "page"
        database = None if is_page else (obj.get("parent") or {}).get("database_id")
        return cls(
            id=obj["id"],
            kind="page" if is_page else "data_source",
            title=page_title(obj) if is_page else data_source_title(obj),
            parent=parent,
            last_edited_time=obj.get("last_edited_time") or "",
            in_trash=bool(obj.get("in_trash") or obj.get("archived") or obj.get("is_archived")),
            url=obj.get("url"),
            database=database,
        )


def plain_id(notion_id: str) -> str:
    """Ids compare without dashes: Notion accepts both forms, people paste either."""
    return notion_id.replace("-", "").lower()


def dashed_id(notion_id: str) -> str:
    """The form Notion answers with (a dashed lowercase UUID), from either form."""
    plain = plain_id(notion_id)
    if len(plain) != 32:
        return notion_id
    return f"{plain[:8]}-{plain[8:12]}-{plain[12:16]}-{plain[16:20]}-{plain[20:]}"


def parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class Ancestry:
    """Parents and titles of Notion objects, resolved lazily and cached for the provider's lifetime."""

    def __init__(self, api: NotionApi):
        self.api = api
        self.nodes: dict[str, Node] = {}
        self._block_parent: dict[str, str | None] = {}
        self._database_source: dict[str, str | None] = {}
        self._kind: dict[str, str] = {}  # parent id -> "page" | "data_source", as its parent reference said

    def add(self, obj: dict[str, Any]) -> Node:
        node = Node.of(obj, self.parent_id(obj))
        self.nodes[node.id] = node
        return node

    def parent_id(self, obj: dict[str, Any]) -> str | None:
        """The page or data source `obj` sits in (through blocks and databases), or None."""
        parent = obj.get("parent") or {}
        kind = parent.get("type")
        if obj.get("object") == "data_source":
            # A data source's parent is its database; the page holding that database is the next step.
            above = obj.get("database_parent") or {}
            return self._resolve(above.get("type"), above)
        return self._resolve(kind, parent)

    def _resolve(self, kind: str | None, parent: dict[str, Any]) -> str | None:
        if kind == "page_id":
            found, found_kind = parent["page_id"], "page"
        elif kind == "data_source_id":
            found, found_kind = parent["data_source_id"], "data_source"
        elif kind == "database_id":
            found, found_kind = self._source_of(parent["database_id"]), "data_source"
        elif kind == "block_id":
            found, found_kind = self._page_of_block(parent["block_id"]), "page"
        else:
            return None  # workspace, or a parent we cannot see
        if found:
            self._kind.setdefault(found, found_kind)
        return found

    def _page_of_block(self, block_id: str, depth: int = 0) -> str | None:
        if block_id not in self._block_parent:
            try:
                block = self.api.call("reading a block", lambda c: c.blocks.retrieve(block_id=block_id))
            except NotFoundError:
                block = {}
            parent = block.get("parent") or {}
            if parent.get("type") == "block_id" and depth < MAX_DEPTH:
                self._block_parent[block_id] = self._page_of_block(parent["block_id"], depth + 1)
            else:
                self._block_parent[block_id] = self._resolve(parent.get("type"), parent)
        return self._block_parent[block_id]

    def _source_of(self, database_id: str) -> str | None:
        if database_id not in self._database_source:
            try:
                database = self.api.call("reading a database", lambda c: c.databases.retrieve(database_id=database_id))
            except NotFoundError:
                database = {}
            sources = database.get("data_sources") or [{}]
            self._database_source[database_id] = sources[0].get("id")
        return self._database_source[database_id]

    def node(self, node_id: str, kind: str = "page") -> Node | None:
        """The node, fetched when a walk has not seen it; None when it is gone or not shared."""
        node_id = dashed_id(node_id)
        if node_id not in self.nodes:
            try:
                if kind == "page":
                    obj = self.api.call("reading a page", lambda c: c.pages.retrieve(page_id=node_id))
                else:
                    obj = self.api.call(
                        "reading a data source", lambda c: c.data_sources.retrieve(data_source_id=node_id)
                    )
            except NotFoundError:
                return None
            self.add(obj)
        return self.nodes.get(node_id)

    def chain(self, node: Node) -> list[Node]:
        """The node and its visible ancestors, nearest first."""
        chain, seen = [node], {node.id}
        while chain[-1].parent and len(chain) < MAX_DEPTH:
            parent_id = chain[-1].parent
            parent = self.nodes.get(parent_id) or self._parent_node(parent_id)
            if parent is None or parent.id in seen:
                break
            chain.append(parent)
            seen.add(parent.id)
        return chain

    def _parent_node(self, parent_id: str) -> Node | None:
        return self.node(parent_id, self._kind.get(parent_id, "page"))

    def in_scope(self, node: Node, scope: Scope) -> bool:
        if not scope.roots:
            return True
        chain = self.chain(node)
        if not scope.recursive:
            chain = chain[:2]  # the root itself and what sits directly in it
        ids = {plain_id(n.id) for n in chain} | {plain_id(n.database) for n in chain if n.database}
        return any(plain_id(root) in ids for root in scope.roots)

    def item(self, node: Node, *, recheck: bool = False) -> RemoteItem:
        titles = [n.title for n in reversed(self.chain(node))]
        return RemoteItem(
            provider=PROVIDER_NAME,
            external_id=node.id,
            name=node.title,
            mime_type=NOTION_PAGE if node.kind == "page" else NOTION_DATABASE,
            paths=("/".join(t.replace("/", "∕") for t in titles),),
            modified_time=parse_time(node.last_edited_time),
            version=node.last_edited_time,
            parents=(node.parent,) if node.parent else (),
            trashed=node.in_trash,
            web_url=node.url,
            recheck=recheck,
        )
