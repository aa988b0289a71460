"""The JSON the Notion API (Notion-Version 2025-09-03) serves for the workspace's objects.

Shapes follow the recorded responses in the reference (§4.2-4.3): minute-precision page and block
times, `in_trash` with the deprecated `archived` beside it, `data_sources` on databases, and a
`child_page`/`child_database` block standing for each subpage and database in its parent's content.
"""

from __future__ import annotations

from typing import Any

from connectors_pipeline.sandbox.notion_blocks import hosted_file, notion_url, rich_text
from connectors_pipeline.sandbox.notion_model import Block, Database, DataSource, Page, millis, minute
from connectors_pipeline.sandbox.notion_state import NotionWorkspace

NOTION_VERSION = "2025-09-03"
INTEGRATION_NAME = "Sandbox Integration"


def user_ref(user_id: str) -> dict[str, Any]:
    return {"object": "user", "id": user_id}


def parent_json(ws: NotionWorkspace, parent_type: str, parent_id: str | None) -> dict[str, Any]:
    if parent_type == "workspace":
        return {"type": "workspace", "workspace": True}
    if parent_type == "data_source_id":
        ds = ws.data_sources[parent_id or ""]
        return {"type": "data_source_id", "data_source_id": ds.id, "database_id": ds.database_id}
    return {"type": parent_type, parent_type: parent_id}


def page_json(ws: NotionWorkspace, page: Page) -> dict[str, Any]:
    trashed = ws.trashed(page.id)
    return {
        "object": "page",
        "id": page.id,
        "created_time": minute(page.created),
        "last_edited_time": minute(page.edited),
        "created_by": user_ref(ws.user_id),
        "last_edited_by": user_ref(ws.user_id),
        "cover": None,
        "icon": page.icon,
        "parent": parent_json(ws, page.parent_type, page.parent_id),
        "in_trash": trashed,
        "is_archived": False,  # Notion's archive is not its trash; the sandbox never archives
        "is_locked": False,
        "properties": _properties(ws, page),
        "url": notion_url(page.id, ws.title_of(page.id)),
        "public_url": None,
        "archived": trashed,
    }


def _properties(ws: NotionWorkspace, page: Page) -> dict[str, Any]:
    if page.parent_type != "data_source_id":
        return {"title": {"id": "title", "type": "title", "title": page.properties["title"]}}
    ds = ws.data_sources[page.parent_id or ""]
    out: dict[str, Any] = {}
    for name, prop in ds.schema.items():
        kind = prop["type"]
        out[name] = {"id": prop["id"], "type": kind, kind: _value(ws, page, ds, name, kind)}
    return out


def _value(ws: NotionWorkspace, page: Page, ds: DataSource, name: str, kind: str) -> Any:
    match kind:
        case "created_time":
            return minute(page.created)
        case "last_edited_time":
            return minute(page.edited)
        case "created_by" | "last_edited_by":
            return user_ref(ws.user_id)
        case "unique_id":
            return {"prefix": ds.schema[name]["unique_id"].get("prefix"), "number": page.unique_number}
        case "relation":
            return page.properties.get(name, [])
    return page.properties.get(name)


def block_json(ws: NotionWorkspace, object_id: str) -> dict[str, Any]:
    """A block, or the child_page/child_database block that stands for a page or database."""
    if object_id in ws.pages:
        page = ws.pages[object_id]
        payload: dict[str, Any] = {"title": ws.title_of(page.id)}
        return _envelope(ws, page.id, page.parent_type, page.parent_id, page, "child_page", payload)
    if object_id in ws.databases:
        db = ws.databases[object_id]
        return _envelope(ws, db.id, db.parent_type, db.parent_id, db, "child_database", {"title": db.title})
    block = ws.blocks[object_id]
    parent_type = "page_id" if block.parent_id in ws.pages else "block_id"
    payload = dict(block.payload)
    if payload.get("type") == "file" and isinstance(payload.get("file"), dict):
        # Notion-hosted files: signed when read, so the URL changes as time passes (never use it as identity).
        payload["file"] = hosted_file(payload["file"].get("name", "file"), ws.now_served(), block.id)
    return _envelope(ws, block.id, parent_type, block.parent_id, block, block.type, payload)


def _envelope(
    ws: NotionWorkspace,
    object_id: str,
    parent_type: str,
    parent_id: str | None,
    obj: Page | Block | Database,
    kind: str,
    payload: dict[str, Any],
) -> dict[str, Any]:
    if parent_type == "data_source_id":  # a row read as a block hangs under its database
        parent_type, parent_id = "database_id", ws.data_sources[parent_id or ""].database_id
    trashed = ws.trashed(object_id)
    return {
        "object": "block",
        "id": object_id,
        "parent": parent_json(ws, parent_type, parent_id),
        "created_time": minute(obj.created),
        "last_edited_time": minute(obj.edited),
        "created_by": user_ref(ws.user_id),
        "last_edited_by": user_ref(ws.user_id),
        "has_children": bool(ws.visible_children(object_id)),
        "in_trash": trashed,
        "archived": trashed,
        "type": kind,
        kind: payload,
    }


def database_json(ws: NotionWorkspace, db: Database) -> dict[str, Any]:
    trashed = ws.trashed(db.id)
    return {
        "object": "database",
        "id": db.id,
        "title": rich_text(db.title),
        "description": [],
        "parent": parent_json(ws, db.parent_type, db.parent_id),
        "is_inline": db.is_inline,
        "in_trash": trashed,
        "is_locked": False,
        "created_time": millis(db.created),
        "last_edited_time": millis(db.edited),
        "data_sources": [{"id": dsid, "name": ws.data_sources[dsid].title} for dsid in db.data_source_ids],
        "icon": db.icon,
        "cover": None,
        "url": notion_url(db.id),
        "public_url": None,
        "archived": trashed,
    }


def data_source_json(ws: NotionWorkspace, ds: DataSource) -> dict[str, Any]:
    db = ws.databases[ds.database_id]
    trashed = ws.trashed(ds.id)
    return {
        "object": "data_source",
        "id": ds.id,
        "created_time": millis(ds.created),
        "last_edited_time": millis(ds.edited),
        "created_by": user_ref(ws.user_id),
        "last_edited_by": user_ref(ws.user_id),
        "title": rich_text(ds.title),
        "description": rich_text(ds.description),
        "icon": db.icon,
        "cover": None,
        "parent": {"type": "database_id", "database_id": db.id},
        "database_parent": parent_json(ws, db.parent_type, db.parent_id),
        "is_inline": db.is_inline,
        "in_trash": trashed,
        "archived": trashed,
        "properties": ds.schema,
        "url": notion_url(ds.id),
        "public_url": None,
    }


def person_json(ws: NotionWorkspace) -> dict[str, Any]:
    return {
        "object": "user",
        "id": ws.user_id,
        "name": ws.display_name,
        "avatar_url": None,
        "type": "person",
        "person": {"email": ws.email},
    }


def bot_json(ws: NotionWorkspace) -> dict[str, Any]:
    return {
        "object": "user",
        "id": ws.bot_id,
        "name": INTEGRATION_NAME,
        "avatar_url": None,
        "type": "bot",
        "bot": {
            "owner": {"type": "user", "user": person_json(ws)},
            "workspace_name": ws.workspace_name,
            "workspace_id": ws.workspace_id,
            "workspace_limits": {"max_file_upload_size_in_bytes": 5_368_709_120},
        },
    }


def list_json(results: list[dict[str, Any]], next_cursor: str | None, kind: str) -> dict[str, Any]:
    return {
        "object": "list",
        "results": results,
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
        "type": kind,
        kind: {},
    }
