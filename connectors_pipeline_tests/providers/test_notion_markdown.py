"""Notion pages and data sources rendered to Markdown, checked against golden files.

Each `notion_golden/<case>.json` holds real API shapes (Notion-Version 2025-09-03): either
`{"page": ..., "blocks": [...]}` (blocks carry their children under "children", as the provider
fetches them) or `{"data_source": ..., "database": ...}`. The expected Markdown is
`notion_golden/<case>.md`. The golden files are the spec: review every change to them by eye.

To rewrite them after an intended change in rendering:

    UPDATE_GOLDEN=1 .venv/bin/pytest connectors_pipeline_tests/providers/test_notion_markdown.py
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from connectors_pipeline.providers.notion.markdown import (
    data_source_title,
    page_title,
    render_data_source,
    render_page,
    vault_link,
)

GOLDEN = Path(__file__).parent / "notion_golden"
CASES = sorted(GOLDEN.glob("*.json"), key=lambda path: path.stem)
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def render_case(case: dict[str, Any]) -> str:
    if "data_source" in case:
        return render_data_source(case["data_source"], case.get("database"))
    return render_page(case["page"], case["blocks"])


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_rendering_matches_golden_file(path: Path) -> None:
    rendered = render_case(json.loads(path.read_text(encoding="utf-8")))
    expected_path = path.with_suffix(".md")
    if UPDATE:
        expected_path.write_text(rendered, encoding="utf-8", newline="\n")
    assert rendered == expected_path.read_text(encoding="utf-8")


def test_golden_cases_cover_every_block_type_the_reference_lists() -> None:
    seen: set[str] = set()

    def walk(blocks: list[Any]) -> None:
        for block in blocks:
            if isinstance(block, dict):
                seen.add(str(block.get("type")))
                walk(block.get("children") or [])

    for path in CASES:
        walk(json.loads(path.read_text(encoding="utf-8")).get("blocks") or [])
    expected = {
        "paragraph", "heading_1", "heading_2", "heading_3", "heading_4",
        "bulleted_list_item", "numbered_list_item", "to_do", "toggle", "quote", "callout", "code",
        "table", "table_row", "image", "video", "pdf", "file", "audio", "bookmark", "embed", "link_preview",
        "child_page", "child_database", "link_to_page", "divider", "breadcrumb", "table_of_contents",
        "column_list", "column", "synced_block", "equation", "template", "unsupported",
    }  # fmt: skip
    assert expected <= seen


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_output_is_deterministic_with_one_trailing_newline_and_no_trailing_spaces(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    first, second = render_case(case), render_case(copy.deepcopy(case))
    assert first == second
    assert first.endswith("\n") and not first.endswith("\n\n")
    assert all(line == line.rstrip() for line in first.split("\n"))
    assert "\n\n\n" not in first


# --- direct tests of single behaviours -------------------------------------------------------------

PAGE = {
    "object": "page",
    "id": "393abc1e-edcd-81f5-ae94-ec2d55fe98ed",
    "created_time": "2026-07-04T09:08:00.000Z",
    "last_edited_time": "2026-07-04T09:08:00.000Z",
    "parent": {"type": "page_id", "page_id": "393abc1e-edcd-80f3-813b-e205934558c6"},
    "properties": {"title": {"id": "title", "type": "title", "title": []}},
    "url": "https://app.notion.com/p/393abc1eedcd81f5ae94ec2d55fe98ed",
}


def text(content: str, **annotations: bool) -> dict[str, Any]:
    marks = {"bold": False, "italic": False, "strikethrough": False, "underline": False, "code": False}
    return {
        "type": "text",
        "text": {"content": content, "link": None},
        "annotations": {**marks, **annotations, "color": "default"},
        "plain_text": content,
        "href": None,
    }


def block(kind: str, payload: dict[str, Any], children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "object": "block",
        "id": "393abc1e-edcd-817b-900d-c75ec8d2f272",
        "type": kind,
        "has_children": bool(children),
        kind: payload,
    }
    if children:
        out["children"] = children
    return out


def item(kind: str, content: str, children: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return block(kind, {"rich_text": [text(content)], "color": "default", **extra}, children)


def body(blocks: list[dict[str, Any]], **kwargs: Any) -> str:
    """The Markdown after the `# Untitled` heading."""
    return render_page(PAGE, blocks, **kwargs).split("# Untitled\n\n", 1)[1]


def test_numbering_restarts_after_a_non_list_block_and_honours_list_start_index() -> None:
    blocks = [
        item("numbered_list_item", "a"),
        item("numbered_list_item", "b"),
        item("paragraph", "break"),
        item("numbered_list_item", "c", list_start_index=5),
        item("numbered_list_item", "d"),
        item("bulleted_list_item", "e"),
        item("numbered_list_item", "f"),
    ]
    assert body(blocks) == "1. a\n2. b\n\nbreak\n\n5. c\n6. d\n\n- e\n\n1. f\n"


def test_nested_list_items_are_indented_under_their_marker() -> None:
    grandchild = item("bulleted_list_item", "grandchild")
    child = item("numbered_list_item", "child", [grandchild])
    blocks = [item("numbered_list_item", "x", list_start_index=10), item("numbered_list_item", "parent", [child])]
    assert body(blocks) == "10. x\n11. parent\n    1. child\n       - grandchild\n"


def test_user_text_that_looks_like_markdown_stays_literal() -> None:
    import markdown_it

    tricky = "# h\n- l\n1. n\n> q\n[a](b) *e* _u_ `c` <b>x</b> | $m$ ~~s~~\n---"
    html = (
        markdown_it.MarkdownIt("commonmark")
        .enable("table")
        .enable("strikethrough")
        .render(body([item("paragraph", tricky)]))
    )
    assert html.count("<p>") == 1
    for tag in (
        "<h1>",
        "<h2>",
        "<ul>",
        "<ol>",
        "<blockquote>",
        "<a ",
        "<em>",
        "<code>",
        "<b>",
        "<table>",
        "<s>",
        "<hr",
    ):
        assert tag not in html


def test_intraword_underscores_are_not_escaped() -> None:
    assert body([item("paragraph", "snake_case_name and _edge_")]) == "snake_case_name and \\_edge\\_\n"


def test_pipes_in_table_cells_are_escaped_in_text_and_code() -> None:
    row = block("table_row", {"cells": [[text("a|b")], [text("x|y", code=True)]]})
    table = block("table", {"table_width": 2, "has_column_header": False, "has_row_header": False}, [row])
    assert body([table]) == "| | |\n| --- | --- |\n| a\\|b | `x\\|y` |\n"


def test_unknown_and_malformed_blocks_become_placeholders_without_raising() -> None:
    unknown = block("hologram", {})
    malformed = {"object": "block", "id": "x", "type": "quote", "has_children": False}
    assert body([unknown, malformed, item("paragraph", "after")]) == (
        "> ⚠️ Unsupported Notion block: hologram\n\n> ⚠️ Unreadable Notion block: quote\n\nafter\n"
    )


def test_children_not_fetched_are_noted_inside_their_block() -> None:
    cut = item("bulleted_list_item", "parent") | {"has_children": True}
    assert body([cut]) == "- parent\n\n  > ⚠️ Part of this block's content was not fetched from Notion.\n"


def test_links_to_pages_and_databases_go_through_the_resolver() -> None:
    def resolver(kind: str, notion_id: str) -> str:
        return f"https://vault.example/{kind}/{notion_id}"

    blocks = [block("child_page", {"title": "Sub"}), block("child_database", {"title": "DB"})]
    assert body(blocks, links=resolver) == (
        "[📄 Sub](https://vault.example/page/393abc1e-edcd-817b-900d-c75ec8d2f272)\n\n"
        "[🗃️ DB](https://vault.example/database/393abc1e-edcd-817b-900d-c75ec8d2f272)\n"
    )


def test_default_vault_link_uses_the_dashed_id() -> None:
    assert (
        vault_link("page", "393abc1eedcd81f5ae94ec2d55fe98ed") == "vault://notion/393abc1e-edcd-81f5-ae94-ec2d55fe98ed"
    )


def test_titles_fall_back_to_untitled() -> None:
    assert page_title(PAGE) == "Untitled"
    assert page_title({}) == "Untitled"
    assert data_source_title({"object": "data_source", "title": []}) == "Untitled"
    assert data_source_title({"title": [text("Tasks ")]}) == "Tasks"


def test_an_exclamation_mark_before_a_link_does_not_make_an_image() -> None:
    link = text("here") | {"href": "https://example.com"}
    paragraph = block("paragraph", {"rich_text": [text("Wow!"), link], "color": "default"})
    assert body([paragraph]) == "Wow\\![here](https://example.com)\n"


def test_toggle_summary_cannot_inject_html() -> None:
    import markdown_it

    toggle = item("toggle", "<img src=x onerror=alert(1)> & more", [item("paragraph", "inside")])
    html = markdown_it.MarkdownIt("commonmark").render(body([toggle]))
    assert "<summary>&lt;img src=x onerror=alert(1)&gt; &amp; more</summary>" in html
    assert "<p>inside</p>" in html
