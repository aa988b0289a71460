"""HTML: drop chrome and code, keep headings, lists, links and tables as Markdown."""

from __future__ import annotations

import pathlib

from bs4 import BeautifulSoup
from markdownify import MarkdownConverter

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract.model import ExtractionLimits, TextBudget
from connectors_pipeline.extract.normalize import normalize_text

# Not content: code, styling, navigation, document metadata, embedded objects.
_DROPPED_TAGS = ("script", "style", "nav", "head", "noscript", "template", "iframe", "svg", "object", "embed")
_UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")


class _VaultConverter(MarkdownConverter):
    """markdownify with ATX headings and no executable or inlined-binary URLs in the vault."""

    def convert_img(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        # Base64 images would bloat the vault text; the alt text is what is searchable.
        if (el.attrs.get("src") or "").strip().lower().startswith(_UNSAFE_SCHEMES):
            return el.attrs.get("alt") or ""
        return super().convert_img(el, text, parent_tags)

    def convert_a(self, el, text, parent_tags):  # type: ignore[no-untyped-def]
        if (el.get("href") or "").strip().lower().startswith(_UNSAFE_SCHEMES):
            return text
        return super().convert_a(el, text, parent_tags)


def _title(soup: BeautifulSoup) -> str | None:
    for tag in (soup.title, soup.find("h1")):
        if tag is not None and (title := " ".join(tag.get_text(" ").split())):
            return title
    return None


def extract_html(path: pathlib.Path, limits: ExtractionLimits, charset: str | None = None) -> tuple[str, str | None]:
    # BeautifulSoup needs the whole document; its size is already bounded by max_input_bytes.
    # Passing bytes lets it honour <meta charset> and fall back sensibly on invalid encodings.
    soup = BeautifulSoup(path.read_bytes(), "html.parser", from_encoding=charset)
    title = _title(soup)
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    converter = _VaultConverter(
        heading_style="ATX",
        bullets="-",
        newline_style="backslash",
        table_infer_header=True,
        strip_document="strip",
    )
    try:
        markdown = TextBudget(limits).add(converter.convert_soup(soup))
    except RecursionError as exc:  # markdownify recurses once per element level
        raise ExtractionError("HTML nested too deeply to convert") from exc
    return normalize_text(markdown), title
