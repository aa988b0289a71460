"""Notion rich text to inline Markdown, and the escaping that keeps user text from becoming structure.

Annotations: bold `**x**`, italic `*x*`, strikethrough `~~x~~`, code `` `x` ``, underline `<u>x</u>`
(Markdown has no underline; the HTML tag renders on GitHub, Obsidian and most viewers). Colors are
dropped. Emphasis is opened and closed across neighbouring items as one run, so "**bold *and
italic***" stays well-formed, and whitespace is moved outside the markers (CommonMark ignores
`** x**`). Every line is rendered on its own, with all markers closed at its end, so callers may
join lines however their block needs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

LinkResolver = Callable[[str, str], str]
"""(kind "page" | "database", Notion id) -> the URL a link to that object should carry."""

_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


def dashed_id(notion_id: str) -> str:
    """The dashed UUID form Notion responses use; requests may omit the dashes."""
    compact = notion_id.replace("-", "")
    if not _HEX32.fullmatch(compact):
        return notion_id
    return f"{compact[:8]}-{compact[8:12]}-{compact[12:16]}-{compact[16:20]}-{compact[20:]}"


def vault_link(kind: str, notion_id: str) -> str:
    """The default link target: the vault's own address of a Notion page or database."""
    return f"vault://notion/{dashed_id(notion_id)}"


# Characters that start inline structure anywhere in a line. `_` is escaped only where it could
# open or close emphasis (not inside words such as snake_case), `&` only where it would start an
# entity.
_INLINE = re.compile(r"[\\`*_\[\]<|~$]|&(?=#?\w+;)")


def _escape_char(match: re.Match[str]) -> str:
    char, text, at = match.group(0), match.string, match.start()
    if char == "_" and 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum():
        return char
    return "\\" + char


def escape_inline(text: str) -> str:
    """Plain text made literal inside a Markdown line."""
    return _INLINE.sub(_escape_char, text)


_HEADING_START = re.compile(r"#{1,6}(\s|$)")
_BULLET_START = re.compile(r"[-+](\s|$)")
_SETEXT_LINE = re.compile(r"(-+|=+)\s*")
_ORDERED_START = re.compile(r"(\d{1,9})[.)](\s|$)")


def guard_line_start(line: str) -> str:
    """Escape what would make a line a heading, quote, list item, rule or setext underline."""
    if _HEADING_START.match(line) or line.startswith(">") or _BULLET_START.match(line) or _SETEXT_LINE.fullmatch(line):
        return "\\" + line
    ordered = _ORDERED_START.match(line)
    if ordered:
        return line[: ordered.end(1)] + "\\" + line[ordered.end(1) :]
    return line


def link_url(url: str) -> str:
    """A URL safe inside `(...)` of a Markdown link."""
    for char, code in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), ("|", "%7C"), ("\n", "")):
        url = url.replace(char, code)
    return url


def code_span(text: str, *, in_table: bool = False) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    if in_table:
        text = text.replace("|", "\\|")  # GFM splits cells before it sees code spans
    return f"{fence}{text}{fence}"


def plain_text(items: Any) -> str:
    """The text of a rich-text array as Notion shows it, without formatting."""
    if not isinstance(items, list):
        return ""
    return "".join(
        item["plain_text"] for item in items if isinstance(item, dict) and isinstance(item.get("plain_text"), str)
    )


def format_date(date: Any) -> str | None:
    """A Notion date value as ISO 8601: `start`, or the interval `start/end`."""
    if not isinstance(date, dict) or not date.get("start"):
        return None
    return f"{date['start']}/{date['end']}" if date.get("end") else str(date["start"])


# Emphasis kinds in the order they are opened; underline is HTML, the rest are delimiter runs.
_MARKS = ("underline", "bold", "italic", "strikethrough")
_OPEN = {"underline": "<u>", "bold": "**", "italic": "*", "strikethrough": "~~"}
_CLOSE = {"underline": "</u>", "bold": "**", "italic": "*", "strikethrough": "~~"}


@dataclass(frozen=True)
class _Piece:
    """One line's worth of one rich-text item, not yet rendered."""

    text: str
    marks: frozenset[str]
    code: bool = False
    math: bool = False
    href: str | None = None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _item_pieces(item: Any, links: LinkResolver) -> list[_Piece]:
    """The item split at its line breaks; mentions and equations never break a line."""
    if not isinstance(item, dict):
        return []
    annotations = _obj(item.get("annotations"))
    marks = frozenset(mark for mark in _MARKS if annotations.get(mark) is True)
    plain = item.get("plain_text") if isinstance(item.get("plain_text"), str) else ""
    kind = item.get("type")
    if kind == "equation":
        expression = _str(_obj(item.get("equation")).get("expression")) or plain
        return [_Piece(expression.replace("\n", " "), marks, math=True)]
    if kind == "mention":
        text, href = _mention(_obj(item.get("mention")), plain, links)
        return [_Piece(text.replace("\n", " "), marks, href=href or _str(item.get("href")))]
    text_payload = _obj(item.get("text"))
    content = text_payload.get("content") if isinstance(text_payload.get("content"), str) else plain
    href = _str(item.get("href")) or _str(_obj(text_payload.get("link")).get("url"))
    code = annotations.get("code") is True
    return [_Piece(line, marks, code=code, href=href) for line in content.split("\n")]


def _mention(mention: dict[str, Any], plain: str, links: LinkResolver) -> tuple[str, str | None]:
    kind = mention.get("type")
    payload = _obj(mention.get(kind)) if isinstance(kind, str) else {}
    if kind == "user":
        name = _str(payload.get("name")) or plain.lstrip("@") or "unknown user"
        return f"@{name}", None
    if kind in ("page", "database") and _str(payload.get("id")):
        return plain or "Untitled", links(kind, payload["id"])
    if kind == "date":
        return format_date(payload) or plain, None
    if kind == "link_preview" and _str(payload.get("url")):
        return payload["url"], payload["url"]
    return plain, None  # template_mention and anything newer: what Notion shows


def _split_lines(items: list[Any], links: LinkResolver) -> list[list[_Piece]]:
    lines: list[list[_Piece]] = [[]]
    for item in items:
        for index, piece in enumerate(_item_pieces(item, links)):
            if index:
                lines.append([])
            lines[-1].append(piece)
    return lines


def _core(piece: _Piece, in_table: bool) -> str:
    if piece.math:
        expression = piece.text.strip().replace("|", "\\|") if in_table else piece.text.strip()
        core = f"${expression}$"
    elif piece.code:
        core = code_span(piece.text.strip(), in_table=in_table)
    else:
        core = escape_inline(piece.text.strip())
    return f"[{core}]({link_url(piece.href)})" if piece.href else core


def _escape_trailing_bang(out: list[str]) -> None:
    """A "!" written right before a link would turn the link into an image."""
    for index in range(len(out) - 1, -1, -1):
        if out[index]:
            if out[index].endswith("!"):
                out[index] = out[index][:-1] + "\\!"
            return


def _render_line(pieces: list[_Piece], in_table: bool) -> str:
    out: list[str] = []
    open_marks: list[str] = []
    pending_space = ""  # whitespace held back until we know whether markers close before it

    def close_to(keep: frozenset[str]) -> None:
        nonlocal pending_space
        while open_marks and not set(open_marks) <= keep:
            out.append(_CLOSE[open_marks.pop()])
        out.append(pending_space)
        pending_space = ""

    for piece in pieces:
        stripped = piece.text.strip()
        if not stripped:
            pending_space += piece.text
            continue
        lead = piece.text[: len(piece.text) - len(piece.text.lstrip())]
        close_to(piece.marks)
        out.append(lead)
        for mark in _MARKS:
            if mark in piece.marks and mark not in open_marks:
                open_marks.append(mark)
                out.append(_OPEN[mark])
        core = _core(piece, in_table)
        if core.startswith("["):
            _escape_trailing_bang(out)
        out.append(core)
        pending_space = piece.text[len(piece.text.rstrip()) :]
    close_to(frozenset())
    return "".join(out)


def rich_text_lines(items: Any, links: LinkResolver, *, in_table: bool = False) -> list[str]:
    """Inline Markdown for each line of a rich-text array (lines are not guarded or stripped)."""
    if not isinstance(items, list):
        raise TypeError(f"rich text must be a list, not {type(items).__name__}")
    return [_render_line(line, in_table) for line in _split_lines(items, links)]


def paragraph_text(items: Any, links: LinkResolver) -> str:
    """Block text: soft line breaks become hard breaks (`\\` at line end), empty lines split paragraphs."""
    paragraphs: list[list[str]] = [[]]
    for line in rich_text_lines(items, links):
        line = line.strip()
        if line:
            paragraphs[-1].append(guard_line_start(line))
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join("\\\n".join(lines) for lines in paragraphs if lines)


def single_line_text(items: Any, links: LinkResolver) -> str:
    """Text for a heading or summary, where a line break cannot be kept: lines joined by spaces."""
    return guard_heading_end(" ".join(line.strip() for line in rich_text_lines(items, links) if line.strip()))


def summary_text(items: Any) -> str:
    """Text for `<summary>`: it sits in an HTML block, where Markdown is not read, so plain text, HTML-escaped."""
    if not isinstance(items, list):
        raise TypeError(f"rich text must be a list, not {type(items).__name__}")
    return html.escape(" ".join(plain_text(items).split()), quote=False)


def guard_heading_end(text: str) -> str:
    """Escape a trailing run of `#`, which would otherwise be taken as an ATX heading's closing sequence."""
    return re.sub(r"(^|\s)(#+)$", r"\1\\\2", text)


def cell_text(items: Any, links: LinkResolver) -> str:
    """Text for a GFM table cell: pipes escaped everywhere, line breaks as `<br>`."""
    return "<br>".join(line.strip() for line in rich_text_lines(items, links, in_table=True) if line.strip())


def unsigned(url: str) -> str:
    """A Notion-hosted file's URL without its signature: the signed query (X-Amz-*) is a temporary
    credential that changes on every read, so it must neither reach the vault nor move the text hash."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
