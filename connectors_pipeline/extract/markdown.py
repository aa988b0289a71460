"""Markdown: decode and normalize; the title comes from front matter or the first heading."""

from __future__ import annotations

import pathlib
import re

from connectors_pipeline.extract.model import ExtractionLimits
from connectors_pipeline.extract.normalize import normalize_text
from connectors_pipeline.extract.text import read_text

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.DOTALL)
_FRONT_MATTER_TITLE = re.compile(r"^title:\s*(.+?)\s*$", re.MULTILINE)
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def markdown_title(text: str) -> str | None:
    """Front matter `title:`, else the first ATX or setext heading outside code fences."""
    if front := _FRONT_MATTER.match(text):
        if found := _FRONT_MATTER_TITLE.search(front.group(1)):
            return found.group(1).strip("\"'") or None
        text = text[front.end() :]
    fence: str | None = None
    previous = ""
    for line in text.split("\n"):
        if opened := _FENCE.match(line):
            marker = opened.group(1)
            if fence is None:
                fence = marker[0]
            elif marker[0] == fence:
                fence = None
            previous = ""
            continue
        if fence is not None:
            continue
        if heading := _ATX_HEADING.match(line):
            return heading.group(1).strip() or None
        if previous.strip() and _SETEXT_UNDERLINE.match(line):
            return previous.strip()
        previous = line
    return None


def extract_markdown(
    path: pathlib.Path, limits: ExtractionLimits, charset: str | None = None
) -> tuple[str, str | None]:
    text = normalize_text(read_text(path, limits, charset))
    return text, markdown_title(text)
