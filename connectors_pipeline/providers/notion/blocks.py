"""Notion blocks to Markdown chunks, one handler per block type.

Conventions beyond plain CommonMark/GFM:
- toggle: `<details>` with the toggle text in `<summary>`, children between blank lines, then
  `</details>`; a template block renders the same way with "Template: " before its text. The
  summary is in an HTML block, where Markdown is not read, so it holds HTML-escaped plain text.
- toggleable headings: the heading, then its children as ordinary following blocks.
- callout: a blockquote whose first line starts with the icon (emoji, `:name:` for a custom
  emoji, `![icon](url)` for an image icon); quote and callout children stay inside the quote.
- lists: consecutive items of one list are a tight list (no blank line between them); numbers
  are written out, start at `list_start_index`, and restart after any other block; `list_format`
  (letters, roman) is not kept. Children are indented under their item.
- paragraph children (Notion's "indent") follow the paragraph; columns follow one another.
- breadcrumb and table_of_contents carry no content and are left out.
- tables: GFM pipe tables; with no column header the header row is empty; row headers are not
  marked (Markdown has none).
- `unsupported`, unknown and malformed blocks become `> ⚠️ Unsupported Notion block: <type>` or
  `> ⚠️ Unreadable Notion block: <type>`; a block whose children were not fetched gets a note.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from connectors_pipeline.providers.notion.rich_text import (
    LinkResolver,
    cell_text,
    escape_inline,
    link_url,
    paragraph_text,
    plain_text,
    single_line_text,
    summary_text,
    unsigned,
)

NOT_FETCHED = "> ⚠️ Part of this block's content was not fetched from Notion."


def placeholder(message: str) -> str:
    return f"> ⚠️ {message}"


@dataclass(frozen=True)
class Chunk:
    """Rendered Markdown of one block; items of one list (`list_kind`) join without a blank line."""

    text: str
    list_kind: str | None = None


def join_chunks(chunks: list[Chunk]) -> str:
    out: list[str] = []
    previous: Chunk | None = None
    for chunk in chunks:
        if previous is not None:
            same_list = chunk.list_kind is not None and chunk.list_kind == previous.list_kind
            out.append("\n" if same_list else "\n\n")
        out.append(chunk.text)
        previous = chunk
    return "".join(out)


def render_blocks(blocks: Any, links: LinkResolver) -> list[Chunk]:
    if not isinstance(blocks, list):
        return [Chunk(placeholder("Unreadable Notion block list"))]
    chunks: list[Chunk] = []
    number: int | None = None
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "numbered_list_item":
            payload = block.get(kind)
            start = payload.get("list_start_index") if isinstance(payload, dict) else None
            number = (start if isinstance(start, int) else 1) if number is None else number + 1
        else:
            number = None
        chunks.extend(render_block(block, links, number or 1))
    return chunks


def render_block(block: Any, links: LinkResolver, number: int = 1) -> list[Chunk]:
    """One block and what it contains; never raises, whatever the JSON looks like."""
    kind = block.get("type") if isinstance(block, dict) else None
    if not isinstance(kind, str):
        return [Chunk(placeholder("Unreadable Notion block: no type"))]
    handler = _HANDLERS.get(kind)
    try:
        if handler is None:
            return [Chunk(placeholder(f"Unsupported Notion block: {escape_inline(kind)}")), *_children(block, links)]
        return handler(block, block[kind], _Context(links, number))
    except (KeyError, TypeError, AttributeError, ValueError, IndexError):
        return [Chunk(placeholder(f"Unreadable Notion block: {escape_inline(kind)}"))]


@dataclass(frozen=True)
class _Context:
    links: LinkResolver
    number: int


def _children(block: dict[str, Any], links: LinkResolver) -> list[Chunk]:
    kids = block.get("children")
    if isinstance(kids, list):
        return render_blocks(kids, links)
    return [Chunk(NOT_FETCHED)] if block.get("has_children") else []


def _text_then_children(text: str, block: dict[str, Any], ctx: _Context) -> list[Chunk]:
    return ([Chunk(text)] if text else []) + _children(block, ctx.links)


def _paragraph(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    return _text_then_children(paragraph_text(payload["rich_text"], ctx.links), block, ctx)


def _heading(level: int) -> Handler:
    def render(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
        text = single_line_text(payload["rich_text"], ctx.links)
        return _text_then_children(f"{'#' * level} {text}" if text else "", block, ctx)

    return render


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    indented = [first + lines[0]] + [rest + line if line else "" for line in lines[1:]]
    return "\n".join(line.rstrip() for line in indented)


def _list_item(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    kind = block["type"]
    if kind == "numbered_list_item":
        marker, list_kind = f"{ctx.number}. ", "numbered"
    elif kind == "to_do":
        marker, list_kind = ("- [x] " if payload.get("checked") is True else "- [ ] "), "bulleted"
    else:
        marker, list_kind = "- ", "bulleted"
    body = paragraph_text(payload["rich_text"], ctx.links)
    children = _children(block, ctx.links)
    if children:
        # A nested list follows its item's line directly; other blocks need a blank line. An item
        # with no text of its own starts its content on the next line.
        separator = "\n" if children[0].list_kind or not body else "\n\n"
        body = f"{body}{separator}{join_chunks(children)}"
    width = 2 if list_kind == "bulleted" else len(marker)
    return [Chunk(_indent(body, marker, " " * width), list_kind)]


def _quote_lines(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def _quote(block: dict[str, Any], payload: dict[str, Any], ctx: _Context, prefix: str = "") -> list[Chunk]:
    text = paragraph_text(payload["rich_text"], ctx.links)
    text = f"{prefix} {text}".strip() if prefix else text
    body = join_chunks(([Chunk(text)] if text else []) + _children(block, ctx.links))
    return [Chunk(_quote_lines(body))] if body else []


def _icon(icon: Any) -> str:
    if not isinstance(icon, dict):
        return ""
    kind = icon.get("type")
    payload = icon.get(kind) if isinstance(kind, str) else None
    if kind == "emoji" and isinstance(payload, str):
        return payload
    if kind == "custom_emoji" and isinstance(payload, dict) and payload.get("name"):
        return f":{escape_inline(payload['name'])}:"
    if isinstance(payload, dict) and payload.get("url"):
        url = unsigned(payload["url"]) if kind == "file" else payload["url"]
        return f"![icon]({link_url(url)})"
    return ""


def _callout(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    return _quote(block, payload, ctx, prefix=_icon(payload.get("icon")))


def _details(summary: str, block: dict[str, Any], ctx: _Context) -> list[Chunk]:
    inner = join_chunks(_children(block, ctx.links))
    head = f"<details>\n<summary>{summary}</summary>"
    return [Chunk(f"{head}\n\n{inner}\n\n</details>" if inner else f"{head}\n</details>")]


def _toggle(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    return _details(summary_text(payload["rich_text"]), block, ctx)


def _template(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    return _details("Template: " + summary_text(payload["rich_text"]), block, ctx)


def _code(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    code = plain_text(payload["rich_text"]).rstrip("\n")  # the fence ends the code; a final newline adds nothing
    language = str(payload.get("language") or "")
    language = "" if language == "plain text" else re.sub(r"[\s`]+", "-", language)
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
    fence = "`" * (longest + 1)
    chunks = [Chunk(f"{fence}{language}\n{code}\n{fence}")]
    caption = paragraph_text(payload.get("caption") or [], ctx.links)
    return chunks + ([Chunk(caption)] if caption else [])


def _table(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    kids = block.get("children")
    rows = [kid["table_row"]["cells"] for kid in kids or [] if kid.get("type") == "table_row"]
    width = max([payload.get("table_width") or 0, *(len(cells) for cells in rows)])
    chunks: list[Chunk] = []
    if rows and width:
        lines = [[cell_text(cell, ctx.links) for cell in cells] + [""] * (width - len(cells)) for cells in rows]
        header = lines.pop(0) if payload.get("has_column_header") else [""] * width
        table = [header, ["---"] * width, *lines]
        chunks.append(Chunk("\n".join("|" + "|".join(f" {c} " if c else " " for c in row) + "|" for row in table)))
    if not isinstance(kids, list) and block.get("has_children"):
        chunks.append(Chunk(NOT_FETCHED))
    return chunks


def _media_url(payload: dict[str, Any]) -> str:
    url = payload[payload["type"]]["url"]
    return unsigned(url) if payload["type"] == "file" else url


def _file_label(payload: dict[str, Any], url: str) -> str:
    """The file's name, else its caption, else (Notion-hosted) the file name in its signed URL, else the URL."""
    caption = plain_text(payload.get("caption")).strip()
    hosted_name = unquote(posixpath.basename(urlsplit(url).path)) if payload["type"] == "file" else ""
    return payload.get("name") or caption or hosted_name or url


def _image(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    alt = " ".join(plain_text(payload.get("caption")).split())
    return [Chunk(f"![{escape_inline(alt)}]({link_url(_media_url(payload))})")]


def _file(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    url = _media_url(payload)
    label = " ".join(_file_label(payload, url).split())
    return [Chunk(f"[{escape_inline(label)}]({link_url(url)})")]


def _bookmark(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    url = payload["url"]
    label = " ".join(plain_text(payload.get("caption")).split()) or url
    return [Chunk(f"[{escape_inline(label)}]({link_url(url)})")]


def _child(kind: str, icon: str) -> Handler:
    def render(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
        title = " ".join(str(payload.get("title") or "").split()) or "Untitled"
        return [Chunk(f"[{icon} {escape_inline(title)}]({link_url(ctx.links(kind, block['id']))})")]

    return render


def _link_to_page(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    target = payload["type"]
    if target == "page_id":
        return [Chunk(f"[📄 Linked page]({link_url(ctx.links('page', payload['page_id']))})")]
    if target == "database_id":
        return [Chunk(f"[🗃️ Linked database]({link_url(ctx.links('database', payload['database_id']))})")]
    return [Chunk(placeholder(f"Unsupported Notion link: {escape_inline(str(target))}"))]


def _equation(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    expression = "\n".join(line for line in str(payload["expression"]).split("\n") if line.strip())
    return [Chunk(f"$$\n{expression}\n$$")]


def _unsupported(block: dict[str, Any], payload: dict[str, Any], ctx: _Context) -> list[Chunk]:
    kind = payload.get("block_type") if isinstance(payload, dict) else None
    return [Chunk(placeholder(f"Unsupported Notion block: {escape_inline(str(kind or 'unsupported'))}"))]


def _container(block: dict[str, Any], payload: Any, ctx: _Context) -> list[Chunk]:
    return _children(block, ctx.links)


def _nothing(block: dict[str, Any], payload: Any, ctx: _Context) -> list[Chunk]:
    return []


def _fixed(text: str) -> Handler:
    return lambda block, payload, ctx: [Chunk(text)]


Handler = Callable[[dict[str, Any], Any, _Context], list[Chunk]]

_HANDLERS: dict[str, Handler] = {
    "paragraph": _paragraph,
    "heading_1": _heading(1),
    "heading_2": _heading(2),
    "heading_3": _heading(3),
    "heading_4": _heading(4),
    "bulleted_list_item": _list_item,
    "numbered_list_item": _list_item,
    "to_do": _list_item,
    "toggle": _toggle,
    "template": _template,
    "quote": _quote,
    "callout": _callout,
    "code": _code,
    "table": _table,
    "divider": _fixed("---"),
    "equation": _equation,
    "image": _image,
    "video": _file,
    "pdf": _file,
    "file": _file,
    "audio": _file,
    "bookmark": _bookmark,
    "embed": _bookmark,
    "link_preview": _bookmark,
    "child_page": _child("page", "📄"),
    "child_database": _child("database", "🗃️"),
    "link_to_page": _link_to_page,
    "synced_block": _container,
    "column_list": _container,
    "column": _container,
    "breadcrumb": _nothing,
    "table_of_contents": _nothing,
    "unsupported": _unsupported,
}
