"""DOCX: headings, paragraphs, lists and tables as Markdown, after a decompression-bomb check."""

from __future__ import annotations

import pathlib
import re

import docx
from docx.document import Document
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract.archive import check_zip
from connectors_pipeline.extract.markdown_table import render_table
from connectors_pipeline.extract.model import ExtractionLimits, TextBudget
from connectors_pipeline.extract.normalize import normalize_text

_HEADING = re.compile(r"^Heading (\d)$")
_LIST_STYLE = re.compile(r"^List (Bullet|Number|Paragraph)(?: (\d))?$")


class _StyleNames:
    """Paragraph style names, resolved once per style id: python-docx finds the default style by scanning
    every style, about a millisecond per paragraph, so a 60,000-paragraph document took over a minute."""

    def __init__(self) -> None:
        self._by_id: dict[str | None, str] = {}

    def __call__(self, paragraph: Paragraph) -> str:
        style_id = paragraph._p.style
        if style_id not in self._by_id:
            style = paragraph.style
            self._by_id[style_id] = style.name if style is not None and style.name else ""
        return self._by_id[style_id]


def _numbering_format(document: Document, num_id: int, level: int) -> str:
    """'bullet', 'decimal', ... for a numbered paragraph, looked up in the numbering part."""
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return "bullet"
    # num_id and level are ints parsed by python-docx, so these expressions cannot be injected into.
    abstract = numbering.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')
    if not abstract:
        return "bullet"
    formats = numbering.xpath(
        f'./w:abstractNum[@w:abstractNumId="{int(abstract[0])}"]/w:lvl[@w:ilvl="{level}"]/w:numFmt/@w:val'
    )
    return str(formats[0]) if formats else "bullet"


def _list_marker(document: Document, paragraph: Paragraph, style: str) -> str | None:
    """'- ' or '1. ' with indentation for list paragraphs, None for everything else."""
    num_pr = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
    if num_pr is not None and num_pr.numId is not None and num_pr.numId.val:
        level = num_pr.ilvl.val if num_pr.ilvl is not None else 0
        ordered = _numbering_format(document, num_pr.numId.val, level) not in ("bullet", "none")
    elif found := _LIST_STYLE.match(style):
        level = int(found.group(2) or 1) - 1
        ordered = found.group(1) == "Number"
    else:
        return None
    return "  " * min(level, 8) + ("1. " if ordered else "- ")


def _emphasis(text: str, bold: bool, italic: bool) -> str:
    core = text.strip()
    if not core or not (bold or italic):
        return text
    marks = ("**" if bold else "") + ("*" if italic else "")
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{lead}{marks}{core}{marks[::-1]}{trail}"


def _inline(paragraph: Paragraph, formatted: bool) -> str:
    """Runs merged by formatting (so adjacent bold runs give one **...**), hyperlinks as Markdown links."""
    spans: list[tuple[str, bool, bool, str]] = []
    for item in paragraph.iter_inner_content():
        if isinstance(item, Hyperlink):
            spans.append((item.text, False, False, item.url or ""))
        else:
            spans.append((item.text, bool(item.bold) and formatted, bool(item.italic) and formatted, ""))
    merged: list[list] = []
    for text, bold, italic, url in spans:
        if merged and merged[-1][1:] == [bold, italic, url]:
            merged[-1][0] += text
        else:
            merged.append([text, bold, italic, url])
    out = []
    for text, bold, italic, url in merged:
        out.append(f"[{text.strip()}]({url})" if url and text.strip() else _emphasis(text, bold, italic))
    return "".join(out)


def _paragraph(document: Document, paragraph: Paragraph, style_names: _StyleNames) -> tuple[str, str | None]:
    """(Markdown, the list marker with its indentation, or None when not a list item)."""
    style = style_names(paragraph)
    heading = _HEADING.match(style)
    if heading or style == "Title":
        level = min(int(heading.group(1)), 6) if heading else 1
        text = " ".join(_inline(paragraph, formatted=False).split())
        return (f"{'#' * level} {text}" if text else ""), None
    marker = _list_marker(document, paragraph, style)
    if marker is not None:
        text = " ".join(_inline(paragraph, formatted=True).split())
        return (marker + text if text else ""), marker
    return _inline(paragraph, formatted=True).strip(), None


def _cell_text(container) -> str:  # type: ignore[no-untyped-def]
    parts = []
    for block in container.iter_inner_content():
        if isinstance(block, Table):  # nested tables flatten into their cell
            parts.extend(_cell_text(cell) for row in block.rows for cell in row.cells)
        else:
            parts.append(block.text)
    return "\n".join(p for p in parts if p.strip())


def _table(table: Table) -> str:
    return render_table([[_cell_text(cell) for cell in row.cells] for row in table.rows])


def _title(document: Document, style_names: _StyleNames) -> str | None:
    if title := (document.core_properties.title or "").strip():
        return title
    for paragraph in document.paragraphs:
        if style_names(paragraph) in ("Title", "Heading 1") and paragraph.text.strip():
            return " ".join(paragraph.text.split())
    return None


def _tight(previous: str | None, current: str | None) -> bool:
    """Consecutive items of one list join without a blank line; a switch of list type starts a new list."""
    if previous is None or current is None:
        return False
    return previous == current or current.startswith(" ") or previous.startswith(" ")


def _convert(document: Document, limits: ExtractionLimits, style_names: _StyleNames) -> str:
    budget = TextBudget(limits)
    out: list[str] = []
    previous: str | None = None
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            markdown, marker = _table(block), None
        else:
            markdown, marker = _paragraph(document, block, style_names)
        if not markdown:
            continue
        if out:
            out.append("\n" if _tight(previous, marker) else "\n\n")
        out.append(budget.add(markdown))
        previous = marker
    return "".join(out)


def extract_docx(path: pathlib.Path, limits: ExtractionLimits) -> tuple[str, str | None]:
    check_zip(path, limits, "DOCX")
    try:
        document = docx.Document(str(path))
        style_names = _StyleNames()
        text, title = _convert(document, limits, style_names), _title(document, style_names)
    except ExtractionError:
        raise
    except Exception as exc:  # python-docx and lxml raise many types (KeyError, ValueError...) on bad input
        raise ExtractionError(f"corrupt DOCX: {exc or type(exc).__name__}") from exc
    return normalize_text(text), title
