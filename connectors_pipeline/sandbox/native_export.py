"""Exports of the sandbox's Google-native documents to the formats Drive's files.export offers."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache

from connectors_pipeline.domain.file_types import DOCX
from connectors_pipeline.sandbox import corpus_formats as fmt
from connectors_pipeline.sandbox.corpus import EXPORT_SIZE_LIMIT, NativeDocument
from connectors_pipeline.sandbox.corpus_content import csv_text

# What real Drive offers per kind (provider-apis.md §2.4), minus the targets this emulator cannot
# produce honestly (ODF, RTF, EPUB, XLSX, PPTX, JPEG, zipped HTML): asking for those is a 400 here.
EXPORT_TARGETS: dict[str, tuple[str, ...]] = {
    "document": (DOCX, "application/pdf", "text/plain", "text/html", "text/markdown"),
    "spreadsheet": ("application/pdf", "text/csv", "text/tab-separated-values"),
    "presentation": ("application/pdf", "text/plain", "image/svg+xml"),
    "drawing": ("application/pdf", "image/svg+xml", "image/png"),
}


class ExportSizeLimitExceeded(Exception):  # noqa: N818 - named after Drive's reason string
    """The export would exceed Drive's 10 MB limit: the server answers 403 exportSizeLimitExceeded."""


def exceeds_export_limit(doc: NativeDocument) -> bool:
    """Cheap check, before exporting: every export of a body this large is over the limit."""
    size = len(doc.markdown) + sum(len(s) for s in doc.slides)
    size += sum(len(cell) for _, rows in doc.sheets for row in rows for cell in row)
    return size > EXPORT_SIZE_LIMIT


# --- Markdown (the subset corpus_content.markdown_body writes) -> blocks ---------------------------

_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)\*(?![*\w])")
_ORDERED = re.compile(r"^(\d+)\.\s+(.*)$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def _plain_inline(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    return _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text)).replace("`", "")


def _html_inline(text: str) -> str:
    text = html.escape(text, quote=False)
    text = _LINK.sub(lambda m: f'<a href="{html.escape(m[2])}">{m[1]}</a>', text)
    return _ITALIC.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", text))


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def markdown_blocks(markdown: str, inline: Callable[[str], str] = _plain_inline) -> list[fmt.Block]:
    """Headings, paragraphs, bullet/numbered items and pipe tables, with inline markup rendered."""
    blocks: list[fmt.Block] = []
    paragraph: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if paragraph:
            blocks.append(("p", inline(" ".join(paragraph))))
            paragraph.clear()
        if table:
            blocks.append(("table", [list(row) for row in table]))
            table.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        if line.startswith("|"):
            if paragraph:
                flush()
            if not _TABLE_RULE.match(line):
                table.append([inline(cell) for cell in _cells(line)])
            continue
        if table or not line:
            flush()
        if not line:
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        ordered = _ORDERED.match(line)
        if heading:
            flush()
            blocks.append(("h", len(heading[1]), inline(heading[2])))
        elif line[:2] in ("- ", "* ", "+ "):
            flush()
            blocks.append(("li", inline(line[2:])))
        elif ordered:
            flush()
            blocks.append(("ol", int(ordered[1]), inline(ordered[2])))
        else:
            paragraph.append(line)
    flush()
    return blocks


# --- Documents ------------------------------------------------------------------------------------


def document_text(markdown: str) -> str:
    """Plain text as Docs exports it: no Markdown syntax, '* ' bullets, tab-separated table rows."""
    lines: list[str] = []
    for block in markdown_blocks(markdown):
        kind = block[0]
        if kind == "h":
            lines += [block[2], ""]
        elif kind == "p":
            lines += [block[1], ""]
        elif kind == "li":
            lines.append(f"* {block[1]}")
        elif kind == "ol":
            lines.append(f"{block[1]}. {block[2]}")
        elif kind == "table":
            lines += ["\t".join(row) for row in block[1]] + [""]
    return "\n".join(lines).strip() + "\n"


def document_html(doc: NativeDocument) -> str:
    parts: list[str] = []
    items: list[str] = []
    list_tag = ""
    for block in markdown_blocks(doc.markdown, _html_inline) + [("end",)]:
        tag = {"li": "ul", "ol": "ol"}.get(block[0], "")
        if list_tag and tag != list_tag:
            parts.append(f"<{list_tag}>{''.join(items)}</{list_tag}>")
            items.clear()
        list_tag = tag
        if block[0] == "h":
            level = min(max(block[1], 1), 6)
            parts.append(f"<h{level}>{block[2]}</h{level}>")
        elif block[0] == "p":
            parts.append(f"<p>{block[1]}</p>")
        elif tag:
            items.append(f"<li>{block[-1]}</li>")
        elif block[0] == "table":
            rows = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in block[1])
            parts.append(f"<table>{rows}</table>")
    title = html.escape(doc.title)
    return (
        '<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type">'
        f'<title>{title}</title><style type="text/css">p{{margin:0}}td{{border:1px solid #000}}</style>'
        f'</head><body class="doc-content">{"".join(parts)}</body></html>'
    )


# --- Spreadsheets, slides, drawings -----------------------------------------------------------------


def _svg(title: str, lines: list[str], width: int = 960, height: int = 540) -> str:
    texts = "".join(
        f'<text x="48" y="{96 + 40 * i}" font-family="Arial" font-size="{32 if i == 0 else 22}">'
        f"{html.escape(line)}</text>"
        for i, line in enumerate(lines)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{html.escape(title)}</title>'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        f'<rect x="24" y="40" width="{width - 48}" height="{height - 80}" fill="none" stroke="#4285f4"/>'
        f"{texts}</svg>"
    )


def _slide_blocks(text: str) -> list[fmt.Block]:
    first, *rest = text.split("\n")
    return [("h", 1, first)] + [("p", line) for line in rest]


def _first_sheet(doc: NativeDocument) -> tuple[tuple[str, ...], ...]:
    return doc.sheets[0][1] if doc.sheets else ()


_BOM = "\ufeff"  # Docs' and Slides' text/plain exports start with a UTF-8 byte-order mark


def _exporters(doc: NativeDocument) -> dict[str, dict[str, Callable[[], bytes]]]:
    utf8: Callable[[str], bytes] = lambda text: text.encode("utf-8")  # noqa: E731
    return {
        "document": {
            "text/markdown": lambda: utf8(doc.markdown),
            "text/plain": lambda: utf8(_BOM + document_text(doc.markdown)),
            "text/html": lambda: utf8(document_html(doc)),
            "application/pdf": lambda: fmt.render_pdf(doc.title, [markdown_blocks(doc.markdown)]),
            DOCX: lambda: fmt.build_docx(doc.title, markdown_blocks(doc.markdown)),
        },
        "spreadsheet": {
            # Drive exports only the first sheet to CSV and TSV.
            "text/csv": lambda: utf8(csv_text(_first_sheet(doc))),
            "text/tab-separated-values": lambda: utf8(csv_text(_first_sheet(doc), delimiter="\t")),
            "application/pdf": lambda: fmt.render_pdf(
                doc.title, [[("h", 2, name), ("table", rows)] for name, rows in doc.sheets], landscape=True
            ),
        },
        "presentation": {
            "application/pdf": lambda: fmt.render_pdf(
                doc.title, [_slide_blocks(text) for text in doc.slides], landscape=True
            ),
            "text/plain": lambda: utf8(_BOM + "\n\n".join(doc.slides) + "\n"),
            # Drive exports only the first slide as an image.
            "image/svg+xml": lambda: utf8(_svg(doc.title, doc.slides[0].split("\n") if doc.slides else [])),
        },
        "drawing": {
            "application/pdf": lambda: fmt.render_pdf(
                doc.title, [[("p", line) for line in doc.markdown.split("\n")]], landscape=True
            ),
            "image/svg+xml": lambda: utf8(_svg(doc.title, doc.markdown.split("\n"))),
            "image/png": lambda: fmt.render_png(96, 54, len(doc.title)),
        },
    }


@lru_cache(maxsize=128)
def export_native(doc: NativeDocument, target_mime: str) -> bytes:
    """The bytes Drive would return for files.export of `doc` as `target_mime` (deterministic).

    Raises ValueError when the kind has no such target (Drive: 400 badRequest), and
    ExportSizeLimitExceeded when the result would pass 10 MB (Drive: 403 exportSizeLimitExceeded);
    check `exceeds_export_limit` first to avoid building a huge export at all.
    """
    target = target_mime.split(";")[0].strip().lower()
    if doc.kind not in EXPORT_TARGETS or target not in EXPORT_TARGETS[doc.kind]:
        raise ValueError(f"a Google {doc.kind} cannot be exported as {target_mime!r}")
    if exceeds_export_limit(doc):
        raise ExportSizeLimitExceeded(f"{doc.title!r} is too large to be exported")
    data = _exporters(doc)[doc.kind][target]()
    if len(data) > EXPORT_SIZE_LIMIT:
        raise ExportSizeLimitExceeded(f"{doc.title!r} is too large to be exported")
    return data
