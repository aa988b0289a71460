"""Notion rich text and block payloads: builders, and the block shorthand tests and seeding write.

Block shorthand (what `NotionWorkspace.set_blocks`/`append_blocks` accept, one dict per block):

* `{"type": T, "text": "..."}` for any rich-text block (paragraph, heading_1..3, bulleted_list_item,
  numbered_list_item, to_do, toggle, quote, callout, code); `"rich_text": [...]` instead of `text`
  takes rich text items (plain strings in it become text items). Extras: `color`, `checked` (to_do),
  `is_toggleable` (headings), `icon` (callout: an emoji string or an icon object), `language` and
  `caption` (code), `list_start_index` (numbered_list_item).
* `{"type": "image"|"video"|"pdf"|"file"|"audio", "url": ..., "hosted": bool, "caption": ..., "name": ...}`:
  external, or Notion-hosted (a signed-looking URL that expires in an hour) when `hosted`.
* `{"type": "bookmark"|"embed", "url": ..., "caption": ...}`, `{"type": "equation", "expression": ...}`.
* `{"type": "table", "rows": [["a", "b"], ...], "has_column_header": bool, "has_row_header": bool}`.
* `{"type": "column_list", "columns": [[blocks...], [blocks...]]}`.
* `{"type": "link_to_page", "page_id": ...}` (or `database_id`), `{"type": "synced_block", "synced_from": id|None}`.
* `{"type": "unsupported", "block_type": "form"}`, and `divider`, `breadcrumb`, `column`.
* Any block may carry `"children": [...]` (shorthand or full objects), nested to any depth.
* A full block object (`{"type": T, T: {...}}`, e.g. from a real API response) is taken as-is, so
  made-up or future block types can be served too; its children may sit in `T.children`.

`child_page` and `child_database` blocks are not written this way: creating the page or database
(`create_page`, `add_database`) places its block in the parent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

COLORS = (
    "default",
    *(
        c
        for base in ("gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red")
        for c in (base, f"{base}_background")
    ),
)
RICH_TEXT_TYPES = frozenset(
    {
        "paragraph",
        "heading_1",
        "heading_2",
        "heading_3",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
        "toggle",
        "quote",
        "callout",
        "code",
    }
)
MEDIA_TYPES = frozenset({"image", "video", "pdf", "file", "audio"})
# Where a Notion-hosted file seems to live; the signature is made up but shaped like S3's.
HOSTED_FILES = "https://prod-files-secure.s3.us-west-2.amazonaws.com"


def annotations(
    *,
    bold: bool = False,
    italic: bool = False,
    strikethrough: bool = False,
    underline: bool = False,
    code: bool = False,
    color: str = "default",
) -> dict[str, Any]:
    return {
        "bold": bold,
        "italic": italic,
        "strikethrough": strikethrough,
        "underline": underline,
        "code": code,
        "color": color,
    }


def text(content: str, link: str | None = None, **marks: Any) -> dict[str, Any]:
    """A text rich-text item; `marks` are annotations (bold=True, color="red", ...)."""
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": link} if link else None},
        "annotations": annotations(**marks),
        "plain_text": content,
        "href": link,
    }


def _mention(mention: dict[str, Any], plain: str, href: str | None = None) -> dict[str, Any]:
    return {"type": "mention", "mention": mention, "annotations": annotations(), "plain_text": plain, "href": href}


def mention_user(user_id: str, name: str) -> dict[str, Any]:
    return _mention({"type": "user", "user": {"object": "user", "id": user_id}}, f"@{name}")


def mention_page(page_id: str, title: str) -> dict[str, Any]:
    return _mention({"type": "page", "page": {"id": page_id}}, title, notion_url(page_id))


def mention_database(database_id: str, title: str) -> dict[str, Any]:
    return _mention({"type": "database", "database": {"id": database_id}}, title, notion_url(database_id))


def mention_date(start: str, end: str | None = None) -> dict[str, Any]:
    plain = f"{start} → {end}" if end else start
    return _mention({"type": "date", "date": {"start": start, "end": end, "time_zone": None}}, plain)


def mention_link_preview(url: str) -> dict[str, Any]:
    return _mention({"type": "link_preview", "link_preview": {"url": url}}, url, url)


def equation(expression: str) -> dict[str, Any]:
    return {
        "type": "equation",
        "equation": {"expression": expression},
        "annotations": annotations(),
        "plain_text": expression,
        "href": None,
    }


def rich_text(value: str | Sequence[str | Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """A string becomes one text item; a list keeps its items (strings become text items)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [text(value)] if value else []
    return [text(v) if isinstance(v, str) else dict(v) for v in value]


def plain(items: Iterable[Mapping[str, Any]]) -> str:
    return "".join(str(item.get("plain_text", "")) for item in items)


def notion_url(object_id: str, title: str = "") -> str:
    """What the app's link to an object looks like: an optional title slug, then the dashless id."""
    slug = "-".join("".join(c if c.isalnum() else " " for c in title).split())
    return f"https://app.notion.com/p/{slug + '-' if slug else ''}{object_id.replace('-', '')}"


def hosted_file(name: str, now: datetime, object_id: str) -> dict[str, Any]:
    """A Notion-hosted file: a URL signed at the sandbox's current time, valid for an hour from it."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    url = (
        f"{HOSTED_FILES}/{object_id}/{name}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Date={stamp}&X-Amz-Expires=3600&X-Amz-Signature={hashlib.sha256(f'{object_id}{stamp}'.encode()).hexdigest()}"
    )
    expiry = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"url": url, "expiry_time": expiry}


@dataclass
class BlockSpec:
    """One block expanded from shorthand: its type and payload, and its children still to create."""

    type: str
    payload: dict[str, Any]
    children: list[BlockSpec] = field(default_factory=list)


def expand_blocks(blocks: Iterable[Mapping[str, Any]]) -> list[BlockSpec]:
    return [expand_block(b) for b in blocks]


def expand_block(block: Mapping[str, Any]) -> BlockSpec:
    """Shorthand or a full block object -> BlockSpec (see the module docstring)."""
    kind = block.get("type")
    if not isinstance(kind, str):
        raise ValueError(f"a block needs a type: {dict(block)!r}")
    if kind in ("child_page", "child_database"):
        raise ValueError(f"{kind} blocks come from create_page/add_database, not from block lists")
    children = list(block.get("children") or ())
    if isinstance(block.get(kind), Mapping):  # a full block object
        payload = dict(block[kind])
        children = list(payload.pop("children", None) or children)
    else:
        payload, extra = _payload(kind, block)
        children = extra + children
    return BlockSpec(kind, payload, expand_blocks(children))


def _payload(kind: str, b: Mapping[str, Any]) -> tuple[dict[str, Any], list[Mapping[str, Any]]]:
    """The payload of a shorthand block, and children it implies (table rows, columns)."""
    color = b.get("color", "default")
    if kind in RICH_TEXT_TYPES:
        payload: dict[str, Any] = {"rich_text": rich_text(b.get("rich_text", b.get("text"))), "color": color}
        if kind == "paragraph":
            payload["icon"] = None
        elif kind.startswith("heading_"):
            payload["is_toggleable"] = bool(b.get("is_toggleable", False))
        elif kind == "to_do":
            payload["checked"] = bool(b.get("checked", False))
        elif kind == "numbered_list_item" and "list_start_index" in b:
            payload["list_start_index"] = b["list_start_index"]
        elif kind == "callout":
            icon = b.get("icon", "💡")
            payload["icon"] = {"type": "emoji", "emoji": icon} if isinstance(icon, str) else icon
        elif kind == "code":
            del payload["color"]
            payload["caption"] = rich_text(b.get("caption"))
            payload["language"] = b.get("language", "plain text")
        return payload, []
    if kind in MEDIA_TYPES:
        payload = {"caption": rich_text(b.get("caption"))}
        if kind == "file":
            payload["name"] = b.get("name") or str(b.get("url", "file")).rsplit("/", 1)[-1]
        if b.get("hosted"):
            # The URL is signed afresh on every read; keep only the file name here.
            payload.update({"type": "file", "file": {"name": str(b.get("url", "file")).rsplit("/", 1)[-1]}})
        else:
            payload.update({"type": "external", "external": {"url": b["url"]}})
        return payload, []
    if kind in ("bookmark", "embed"):
        return {"caption": rich_text(b.get("caption")), "url": b["url"]}, []
    if kind == "equation":
        return {"expression": b["expression"]}, []
    if kind == "table":
        rows = [list(r) for r in b.get("rows", ())]
        width = b.get("table_width") or max((len(r) for r in rows), default=1)
        header = {
            "has_column_header": bool(b.get("has_column_header")),
            "has_row_header": bool(b.get("has_row_header")),
        }
        return {"table_width": width, **header}, [{"type": "table_row", "cells": r} for r in rows]
    if kind == "table_row":
        return {"cells": [rich_text(c) for c in b.get("cells", ())]}, []
    if kind == "column_list":
        return {}, [{"type": "column", "children": list(col)} for col in b.get("columns", ())]
    if kind == "column":
        return ({"width_ratio": b["width_ratio"]} if "width_ratio" in b else {}), []
    if kind == "link_to_page":
        if "database_id" in b:
            return {"type": "database_id", "database_id": b["database_id"]}, []
        return {"type": "page_id", "page_id": b["page_id"]}, []
    if kind == "synced_block":
        source = b.get("synced_from")
        return {"synced_from": {"type": "block_id", "block_id": source} if source else None}, []
    if kind == "unsupported":
        return ({"block_type": b["block_type"]} if "block_type" in b else {}), []
    # divider, breadcrumb, table_of_contents and anything unknown: the remaining keys are the payload.
    return {k: v for k, v in b.items() if k not in ("type", "children")}, []
