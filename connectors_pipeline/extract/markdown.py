"""Markdown: decode and normalize; the title comes from front matter or the first heading."""

from __future__ import annotations

import pathlib
import re

from connectors_pipeline.extract.model import ExtractionLimits
from connectors_pipeline.extract.normalize import normalize_text
from connectors_pipeline.extract.text import read_text

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.DOTALL)
# Lines are parsed with str methods where a regex would have to match trailing blanks: patterns such as
# `(.+?)[ \t]*$` backtrack quadratically on long runs of blanks (a 16 KB heading line took seconds).
_ATX_OPENING = re.compile(r" {0,3}#{1,6}[ \t]+")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _front_matter_title(front: str) -> str | None:
    for line in front.split("\n"):
        if line.startswith("title:"):
            return line[len("title:") :].strip().strip("\"'") or None
    return None


def _atx_heading(line: str) -> str | None:
    """The text of an ATX heading line ('' when it has none), None when the line is no heading."""
    opening = _ATX_OPENING.match(line)
    if opening is None:
        return None
    text = line[opening.end() :].rstrip(" \t")
    unclosed = text.rstrip("#")
    if unclosed != text and (not unclosed or unclosed[-1] in " \t"):  # a closing run of #s follows a blank
        text = unclosed
    return text.strip()


def markdown_title(text: str) -> str | None:
    """Front matter `title:`, else the first ATX or setext heading outside code fences."""
    if front := _FRONT_MATTER.match(text):
        if title := _front_matter_title(front.group(1)):
            return title
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
        if (heading := _atx_heading(line)) is not None:
            return heading or None
        if previous.strip() and _SETEXT_UNDERLINE.match(line):
            return previous.strip()
        previous = line
    return None


def extract_markdown(
    path: pathlib.Path, limits: ExtractionLimits, charset: str | None = None
) -> tuple[str, str | None]:
    text = normalize_text(read_text(path, limits, charset))
    return text, markdown_title(text)
