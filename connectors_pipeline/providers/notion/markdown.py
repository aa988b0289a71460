"""Notion pages and data sources rendered to Markdown files for the vault: pure, no HTTP.

A file is YAML front matter, `# title`, then the body. Rendering is deterministic (same JSON, same
bytes), ends with one newline and leaves no trailing spaces in the body (code blocks included).
Block conventions are described in `blocks.py`, inline ones in `rich_text.py`, property values in
`properties.py`.
"""

from __future__ import annotations

from typing import Any

import yaml

from connectors_pipeline.providers.notion.blocks import Chunk, join_chunks, render_blocks
from connectors_pipeline.providers.notion.properties import property_values, schema_options
from connectors_pipeline.providers.notion.rich_text import (
    LinkResolver,
    escape_inline,
    guard_heading_end,
    paragraph_text,
    plain_text,
    vault_link,
)

__all__ = ["LinkResolver", "data_source_title", "page_title", "render_data_source", "render_page", "vault_link"]

UNTITLED = "Untitled"
_DATA_SOURCE_PARENTS = ("data_source_id", "database_id")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _title_text(items: Any) -> str:
    return " ".join(plain_text(items).split())


def page_title(page: dict[str, Any]) -> str:
    """Plain text of the page's title property; "Untitled" when it is empty."""
    for prop in _obj(_obj(page).get("properties")).values():
        if isinstance(prop, dict) and prop.get("type") == "title":
            return _title_text(prop.get("title")) or UNTITLED
    return UNTITLED


def data_source_title(data_source: dict[str, Any]) -> str:
    return _title_text(_obj(data_source).get("title")) or UNTITLED


def render_page(page: dict[str, Any], blocks: list[dict[str, Any]], *, links: LinkResolver = vault_link) -> str:
    title = page_title(page)
    front: dict[str, Any] = {
        "title": title,
        "notion_id": page.get("id"),
        "url": page.get("url"),
        "created_time": page.get("created_time"),
        "last_edited_time": page.get("last_edited_time"),
    }
    if _obj(page.get("parent")).get("type") in _DATA_SOURCE_PARENTS:
        front["properties"] = property_values(page.get("properties"), links)
    return _document(front, title, join_chunks(render_blocks(blocks, links)))


def render_data_source(
    data_source: dict[str, Any], database: dict[str, Any] | None, *, links: LinkResolver = vault_link
) -> str:
    database = _obj(database)
    title = _title_text(data_source.get("title")) or _title_text(database.get("title")) or UNTITLED
    front = {
        "title": title,
        "notion_id": data_source.get("id"),
        "url": data_source.get("url") or database.get("url"),
        "database_id": _obj(data_source.get("parent")).get("database_id") or database.get("id"),
        "last_edited_time": data_source.get("last_edited_time"),
    }
    description = data_source.get("description") or database.get("description") or []
    try:
        about = paragraph_text(description, links)
    except TypeError:  # not a rich-text array: the schema is still worth rendering
        about = ""
    body = join_chunks([Chunk(text) for text in (about, _schema_table(data_source.get("properties"))) if text])
    return _document(front, title, body)


def _schema_table(properties: Any) -> str:
    if not isinstance(properties, dict) or not properties:
        return ""
    rows = ["| Property | Type | Options |", "| --- | --- | --- |"]
    schema = [(str(name), prop) for name, prop in properties.items() if isinstance(prop, dict)]
    # The title column first, then by name: the order Notion returns is not meaningful.
    for name, prop in sorted(schema, key=lambda entry: (entry[1].get("type") != "title", entry[0])):
        options = ", ".join(escape_inline(option) for option in schema_options(prop))
        cells = [escape_inline(name), escape_inline(str(prop.get("type") or "")), options]
        rows.append("|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|")
    return "\n".join(rows)


class _FrontMatterDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, writing multi-line strings as literal blocks instead of folded quotes."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_FrontMatterDumper.add_representer(str, _represent_str)


def _document(front: dict[str, Any], title: str, body: str) -> str:
    # A very wide line width keeps every value on one line, so the front matter diffs line by line.
    meta = yaml.dump(front, Dumper=_FrontMatterDumper, sort_keys=False, allow_unicode=True, width=1_000_000)
    heading = "# " + guard_heading_end(escape_inline(title))
    text = f"{heading}\n\n{body}" if body else heading
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return f"---\n{meta}---\n\n{text}\n"
