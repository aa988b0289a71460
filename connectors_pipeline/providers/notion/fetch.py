"""Fetching a Notion item: its blocks, recursively, rendered to Markdown and streamed into the blob."""

from __future__ import annotations

from typing import Any, BinaryIO

from connectors_pipeline.domain.errors import NotFoundError
from connectors_pipeline.domain.file_types import NOTION_DATABASE, NOTION_PAGE
from connectors_pipeline.domain.items import Provenance, RemoteItem
from connectors_pipeline.providers.notion.client import NotionApi
from connectors_pipeline.providers.notion.markdown import render_data_source, render_page

MARKDOWN = "text/markdown"
MAX_DEPTH = 12  # nesting Notion itself allows in practice; deeper children are left out, visibly
MAX_BLOCKS = 20_000  # per page: beyond this the rest of the page is left out, visibly


class _Budget:
    def __init__(self) -> None:
        self.blocks = 0


def children(api: NotionApi, block_id: str, depth: int = 0, budget: _Budget | None = None) -> list[dict[str, Any]]:
    """The blocks under `block_id`, each with children carrying theirs under "children"."""
    budget = budget or _Budget()
    blocks = list(
        api.paginate("reading a page's blocks", lambda c, page: c.blocks.children.list(block_id=block_id, **page))
    )
    budget.blocks += len(blocks)
    for block in blocks:
        kind = block.get("type")
        if kind in ("child_page", "child_database") or depth >= MAX_DEPTH or budget.blocks > MAX_BLOCKS:
            continue  # child pages and databases are items of their own; too deep: rendered as cut short
        if block.get("has_children") or kind == "synced_block":
            # Children that are gone or not shared (a synced block's original in a page the
            # integration cannot see) are left out and the renderer says so: one block never fails its page.
            try:
                block["children"] = children(api, block["id"], depth + 1, budget)
                original = ((block.get("synced_block") or {}).get("synced_from") or {}).get("block_id")
                if kind == "synced_block" and original and not block["children"]:
                    block["children"] = children(api, original, depth + 1, budget)  # a copy lists nothing itself
            except NotFoundError:
                block.pop("children", None)
    return blocks


def fetch_item(api: NotionApi, item: RemoteItem, out: BinaryIO) -> Provenance:
    if item.mime_type == NOTION_DATABASE:
        source = api.call("reading a data source", lambda c: c.data_sources.retrieve(data_source_id=item.external_id))
        database_id = (source.get("parent") or {}).get("database_id")
        database = (
            api.call("reading a database", lambda c: c.databases.retrieve(database_id=database_id))
            if database_id
            else None
        )
        text = render_data_source(source, database)
    else:
        page = api.call("reading a page", lambda c: c.pages.retrieve(page_id=item.external_id))
        text = render_page(page, children(api, item.external_id))
    out.write(text.encode("utf-8"))
    return Provenance(method="export", source_mime=item.mime_type or NOTION_PAGE, content_mime=MARKDOWN)
