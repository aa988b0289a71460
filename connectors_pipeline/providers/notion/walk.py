"""Listing a Notion workspace: search for what it shows, then walk the page tree for what it misses.

Notion's search is the cheap way to see a workspace (100 objects a request) but is known to miss
pages. A snapshot therefore also walks down from every page it knows: child pages and databases
are blocks of their parent (possibly inside a column or toggle), rows come from their data source.
The walk costs a request or so per page, which is why it runs at the initial sync and at each
reconciliation, and incremental syncs read only what search reports as edited.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from connectors_pipeline.domain.errors import NotFoundError
from connectors_pipeline.providers.base import Scope
from connectors_pipeline.providers.notion.client import NotionApi
from connectors_pipeline.providers.notion.nodes import Ancestry, Node

MAX_CONTAINER_DEPTH = 8  # columns in toggles in callouts...: deeper nesting holds no child pages in practice


def search_all(api: NotionApi, **filters: Any) -> Iterator[dict[str, Any]]:
    return api.paginate("searching the workspace", lambda c, page: c.search(**filters, **page))


def newest_edit(api: NotionApi) -> str | None:
    """The last_edited_time of the most recently edited object the integration can see."""
    answer = api.call(
        "reading the newest edit",
        lambda c: c.search(sort={"timestamp": "last_edited_time", "direction": "descending"}, page_size=1),
    )
    results = answer.get("results") or []
    return results[0].get("last_edited_time") if results else None


class Walker:
    """Every page and data source in a scope, each once."""

    def __init__(self, api: NotionApi, ancestry: Ancestry):
        self.api = api
        self.ancestry = ancestry
        self.seen: set[str] = set()

    def walk(self, scope: Scope) -> Iterator[Node]:
        """The scope's roots (or everything search shows) and, breadth first, what lies below them:
        everything when recursive, else only what sits directly in a root."""
        queue: deque[tuple[Node, int]] = deque((node, 0) for node in self._starting_points(scope))
        while queue:
            node, depth = queue.popleft()
            if node.id in self.seen:
                continue
            self.seen.add(node.id)
            yield node
            if not node.in_trash and (scope.recursive or depth == 0):
                queue.extend((child, depth + 1) for child in self._children(node))

    def below(self, node: Node) -> Iterator[Node]:
        """Everything under `node`, breadth first, each once (not `node` itself)."""
        self.seen.add(node.id)
        queue: deque[Node] = deque(self._children(node))
        while queue:
            child = queue.popleft()
            if child.id in self.seen:
                continue
            self.seen.add(child.id)
            yield child
            if not child.in_trash:
                queue.extend(self._children(child))

    def _starting_points(self, scope: Scope) -> list[Node]:
        if not scope.roots:
            return [self.ancestry.add(obj) for obj in search_all(self.api)]
        starts: list[Node] = []
        for root in scope.roots:
            if scope.kind == "database":
                starts.extend(self._database(root))
            else:
                node = self.ancestry.node(root, "page")
                if node is not None:
                    starts.append(node)
        return starts

    def _children(self, node: Node) -> list[Node]:
        if node.kind == "data_source":
            rows = self.api.paginate(
                "listing a database's rows",
                lambda c, page: c.data_sources.query(data_source_id=node.id, **page),
            )
            return [self.ancestry.add(row) for row in rows]
        found: list[Node] = []
        for block in self._blocks_holding_pages(node.id):
            if block.get("type") == "child_page":
                child = self.ancestry.node(block["id"], "page")
                found.extend([child] if child is not None else [])
            else:
                found.extend(self._database(block["id"]))
        return found

    def _blocks_holding_pages(self, block_id: str, depth: int = 0) -> Iterator[dict[str, Any]]:
        """child_page and child_database blocks under `block_id`, looking inside container blocks."""
        try:
            blocks = list(
                self.api.paginate(
                    "listing a page's blocks", lambda c, page: c.blocks.children.list(block_id=block_id, **page)
                )
            )
        except NotFoundError:
            return
        for block in blocks:
            kind = block.get("type")
            if kind in ("child_page", "child_database"):
                yield block
            elif block.get("has_children") and depth < MAX_CONTAINER_DEPTH:
                yield from self._blocks_holding_pages(block["id"], depth + 1)

    def _database(self, database_id: str) -> list[Node]:
        """A database's data sources (a database root may also be given as a data source id)."""
        try:
            database = self.api.call("reading a database", lambda c: c.databases.retrieve(database_id=database_id))
        except NotFoundError:
            source = self.ancestry.node(database_id, "data_source")
            return [source] if source is not None else []
        nodes = []
        for ref in database.get("data_sources") or ():
            source = self.ancestry.node(ref["id"], "data_source")
            if source is not None:
                nodes.append(source)
        return nodes
