"""The Notion workspace model: seeded ids, mutations, what the integration sees, and the seeded corpora."""

from __future__ import annotations

import re

import pytest
from notion_client.helpers import collect_paginated_api

from connectors_pipeline.sandbox import SandboxState, generate_notion_pages, seed_drive, seed_notion
from connectors_pipeline.sandbox.corpus import generate_corpus
from connectors_pipeline.sandbox.notion_corpus import PROJECTS_SCHEMA

from .notion_world import ADA, notion_world

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
REFERENCE_BLOCK_TYPES = {
    "paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item", "numbered_list_item", "to_do",
    "toggle", "quote", "callout", "code", "table", "table_row", "image", "video", "pdf", "file", "child_page",
    "child_database", "divider", "breadcrumb", "column_list", "column", "synced_block", "link_to_page", "bookmark",
    "embed", "equation", "unsupported",
}  # fmt: skip


def _seeded(seed: int, with_notion: bool) -> tuple[SandboxState, dict[int, str], dict[str, str]]:
    state = SandboxState(seed=seed)
    state.add_user(ADA)
    notion = seed_notion(state, ADA) if with_notion else {}
    return state, seed_drive(state, ADA, generate_corpus(seed=seed, files=10)), notion


def test_notion_ids_are_seeded_and_leave_drive_ids_alone() -> None:
    _, drive_alone, _ = _seeded(5, with_notion=False)
    _, drive_with, notion = _seeded(5, with_notion=True)
    _, _, notion_again = _seeded(5, with_notion=True)
    assert drive_with == drive_alone
    assert notion == notion_again and all(UUID.match(i) for i in notion.values())
    assert _seeded(6, with_notion=True)[2]["handbook"] != notion["handbook"]


def test_visible_items_follow_trash_moves_deletes_and_sharing() -> None:
    state = SandboxState()
    ids = seed_notion(state, ADA)
    ws = state.notion(ADA)
    items = {i["id"]: i for i in ws.visible_items()}
    assert items[ids["day_one"]]["path"] == ["Team Handbook", "Onboarding", "First Week", "Day One"]
    assert items[ids["day_one"]]["parent_ids"] == [ids["handbook"], ids["onboarding"], ids["first_week"]]
    assert items[ids["row:Vault"]]["path"] == ["Team Handbook", "Projects", "Vault"]
    assert items[ids["projects"]]["kind"] == "data_source" and items[ids["trashed"]]["in_trash"] is True
    assert ids["private"] not in items
    ws.trash_page(ids["onboarding"])  # its subtree goes to the trash with it
    assert {i["id"]: i["in_trash"] for i in ws.visible_items()}[ids["day_one"]] is True
    ws.restore_page(ids["onboarding"])
    ws.move_page(ids["first_week"], ids["engineering"])
    moved = {i["id"]: i for i in ws.visible_items()}[ids["day_one"]]
    assert moved["path"] == ["Engineering Wiki", "First Week", "Day One"] and moved["in_trash"] is False
    ws.delete_page(ids["engineering"])
    assert not {ids["engineering"], ids["first_week"], ids["day_one"]} & {i["id"] for i in ws.visible_items()}
    ws.unshare(ids["handbook"])
    assert ws.visible_items() == []
    ws.share(ids["private"])
    assert [i["title"] for i in ws.visible_items()] == ["Private Journal"]


def test_mutations_tick_the_clock_and_keep_order() -> None:
    state = SandboxState()
    state.add_user(ADA)
    ws = state.notion(ADA)
    page = ws.create_page(None, "Notes", [{"type": "paragraph", "text": "one"}, {"type": "paragraph", "text": "three"}])
    sub = ws.create_page(page, "Sub")
    first = ws.children[page][0]
    ws.append_blocks(page, [{"type": "paragraph", "text": "two"}], after=first)
    texts = [ws.blocks[b].payload["rich_text"][0]["plain_text"] for b in ws.children[page] if b in ws.blocks]
    assert texts == ["one", "two", "three"] and ws.children[page][-1] == sub
    edited = ws.pages[page].edited
    ws.set_blocks(page, [{"type": "quote", "text": "only"}])
    assert ws.pages[page].edited > edited
    assert [ws.blocks[b].type if b in ws.blocks else "page" for b in ws.children[page]] == ["quote", "page"]
    with pytest.raises(ValueError, match="child_page"):
        ws.append_blocks(page, [{"type": "child_page", "title": "x"}])
    with pytest.raises(KeyError):
        ws.rename_page("00000000-0000-4000-8000-000000000000", "x")


def test_handbook_uses_every_block_type_and_rows_every_property_type() -> None:
    with notion_world() as world:
        notion = world.client()
        seen: set[str] = set()

        def walk(block_id: str) -> None:
            for block in collect_paginated_api(notion.blocks.children.list, block_id=block_id):
                seen.add(block["type"])
                if block["has_children"] and block["type"] not in ("child_page", "child_database"):
                    walk(block["id"])

        walk(world.ids["handbook"])
        assert seen >= REFERENCE_BLOCK_TYPES and "ai_meeting_summary" in seen
        blocks = collect_paginated_api(notion.blocks.children.list, block_id=world.ids["handbook"])
        hosted = next(b for b in blocks if b["type"] == "image" and b["image"]["type"] == "file")
        assert "X-Amz-Expires=3600" in hosted["image"]["file"]["url"] and hosted["image"]["file"]["expiry_time"]
        row = notion.pages.retrieve(world.ids["row:Vault"])
        kinds = {p["type"] for p in row["properties"].values()}
        assert kinds >= {p if isinstance(p, str) else p["type"] for p in PROJECTS_SCHEMA.values()} | {
            "relation",
            "rollup",
        }
        assert (
            row["properties"]["Team"]["relation"] and row["properties"]["Created by"]["created_by"]["object"] == "user"
        )


def test_generated_pages_for_benches() -> None:
    state = SandboxState()
    made = generate_notion_pages(state, ADA, pages=120, seed=2)
    ws = state.notion(ADA)
    assert len(made) == len(set(made)) == 120
    assert {i["id"] for i in ws.visible_items() if i["kind"] == "page"} == set(made)
    assert any(len(ws.children.get(p, ())) > 100 for p in made)
    assert any(ws.pages[p].parent_type == "data_source_id" for p in made)
    assert max(len(i["parent_ids"]) for i in ws.visible_items()) >= 2
