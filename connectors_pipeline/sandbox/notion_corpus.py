"""Seeded Notion workspaces: a demo handbook using every block and property type, and bulk pages for benches.

`seed_notion` builds, for one user: "Team Handbook" (top level, shared) holding every block type of
the reference's table, subpages three levels deep, an inline "Teams" database and a "Projects"
database whose rows use every property type, one page in the trash; plus a second shared top-level
page and a top-level page the integration was never given ("Private Journal": invisible).
"""

from __future__ import annotations

import random
from typing import Any

from connectors_pipeline.sandbox.notion_blocks import (
    equation,
    mention_database,
    mention_date,
    mention_link_preview,
    mention_page,
    mention_user,
    text,
)
from connectors_pipeline.sandbox.notion_state import NotionWorkspace
from connectors_pipeline.sandbox.state import SandboxState

# A block type no client knows yet, as a future API version might send it.
UNKNOWN_BLOCK = {"type": "ai_meeting_summary", "ai_meeting_summary": {"rich_text": [text("Summary of the kickoff")]}}

PROJECTS_SCHEMA: dict[str, Any] = {
    "Name": "title",
    "Summary": "rich_text",
    "Budget": {"type": "number", "format": "dollar"},
    "Priority": {"type": "select", "options": ["High", "Medium", "Low"]},
    "Tags": {"type": "multi_select", "options": ["backend", "frontend", "research"]},
    "Status": {"type": "status", "options": ["Not started", "In progress", "Done"]},
    "Due": "date",
    "Owner": "people",
    "Brief": "files",
    "Approved": "checkbox",
    "Website": "url",
    "Contact": "email",
    "Phone": "phone_number",
    "Score": {"type": "formula", "expression": 'prop("Budget") / 1000'},
    "Created": "created_time",
    "Created by": "created_by",
    "Edited": "last_edited_time",
    "Edited by": "last_edited_by",
    "ID": {"type": "unique_id", "prefix": "PRJ"},
}


def _handbook_blocks() -> list[dict[str, Any]]:
    rich = [
        text("Plain, "),
        text("bold", bold=True),
        text(", "),
        text("italic", italic=True),
        text(", "),
        text("struck", strikethrough=True),
        text(", "),
        text("underlined", underline=True),
        text(", "),
        text("code", code=True),
        text(", "),
        text("red", color="red"),
        text(" and "),
        text("highlighted", color="blue_background"),
        text(" text with "),
        text("a link", link="https://example.com/handbook"),
        text(" and "),
        equation("e^{i\\pi} + 1 = 0"),
        text("."),
    ]
    return [
        {"type": "heading_1", "text": "Welcome to the team"},
        {"type": "paragraph", "rich_text": rich},
        {
            "type": "heading_2",
            "text": "FAQ",
            "is_toggleable": True,
            "children": [{"type": "paragraph", "text": "Ask in #help."}],
        },
        {"type": "heading_3", "text": "How we work"},
        {
            "type": "bulleted_list_item",
            "text": "Write things down",
            "children": [{"type": "bulleted_list_item", "text": "In Notion"}],
        },
        {"type": "bulleted_list_item", "text": "Review each other's work"},
        {
            "type": "numbered_list_item",
            "text": "Plan",
            "children": [{"type": "numbered_list_item", "text": "Estimate"}],
        },
        {"type": "numbered_list_item", "text": "Build"},
        {"type": "to_do", "text": "Read the handbook", "checked": True},
        {"type": "to_do", "text": "Set up your laptop"},
        {
            "type": "toggle",
            "text": "Office details",
            "children": [{"type": "paragraph", "text": "Badge at reception."}],
        },
        {"type": "quote", "text": "Simple things should be simple."},
        {"type": "callout", "text": "Security training is mandatory.", "icon": "⚠️", "color": "yellow_background"},
        {"type": "code", "text": "def hello():\n    return 'world'\n", "language": "python", "caption": "A greeting"},
        {
            "type": "table",
            "has_column_header": True,
            "rows": [["Team", "Lead"], ["Platform", "Ada"], ["Data", "Grace"]],
        },
        {"type": "divider"},
        {"type": "equation", "expression": "\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}"},
        {"type": "image", "url": "https://images.example.com/team.png", "caption": "The team"},
        {"type": "image", "url": "office-map.png", "hosted": True},
        {"type": "file", "url": "expense-policy.docx", "hosted": True, "caption": "Expense policy"},
        {"type": "pdf", "url": "https://files.example.com/benefits.pdf"},
        {"type": "video", "url": "https://videos.example.com/welcome.mp4"},
        {"type": "bookmark", "url": "https://example.com/engineering-blog", "caption": "Our blog"},
        {"type": "embed", "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
        {
            "type": "column_list",
            "columns": [
                [{"type": "paragraph", "text": "Left column"}],
                [{"type": "paragraph", "text": "Right column"}],
            ],
        },
        {"type": "breadcrumb"},
        {"type": "unsupported", "block_type": "form"},
        UNKNOWN_BLOCK,
    ]


def seed_notion(state: SandboxState, email: str) -> dict[str, str]:
    """Build the demo workspace for `email` (adding the user if needed); name -> id of what it made."""
    state.add_user(email)
    ws = state.notion(email)
    ids: dict[str, str] = {}
    with state.lock:
        ids["handbook"] = handbook = ws.create_page(None, "Team Handbook", _handbook_blocks(), icon="📘")
        ids["onboarding"] = ws.create_page(handbook, "Onboarding", [{"type": "paragraph", "text": "Start here."}])
        ids["first_week"] = ws.create_page(
            ids["onboarding"], "First Week", [{"type": "to_do", "text": "Meet your buddy"}]
        )
        ids["day_one"] = ws.create_page(ids["first_week"], "Day One", [{"type": "paragraph", "text": "Welcome!"}])
        ids["teams_database"], ids["teams"] = ws.add_database(
            ids["onboarding"], "Teams", {"Name": "title", "Size": "number"}, inline=True
        )
        teams = {
            name: ws.add_row(ids["teams"], {"Name": name, "Size": size})
            for name, size in (("Platform", 5), ("Data", 3))
        }
        schema = {
            **PROJECTS_SCHEMA,
            "Team": {"type": "relation", "data_source_id": ids["teams"]},
            "Team size": {"type": "rollup", "relation": "Team", "property": "Size", "function": "sum"},
        }
        ids["projects_database"], ids["projects"] = ws.add_database(handbook, "Projects", schema)
        for n, (name, team, status) in enumerate((("Vault", "Platform", "In progress"), ("Search", "Data", "Done"))):
            ids[f"row:{name}"] = ws.add_row(
                ids["projects"],
                _row(ws, name, teams[team], status, n),
                [
                    {"type": "heading_2", "text": f"{name} plan"},
                    {"type": "paragraph", "text": f"Milestones of {name}."},
                ],
            )
        ids["row:Empty"] = ws.add_row(ids["projects"], {"Name": "Empty"})
        ids["engineering"] = ws.create_page(None, "Engineering Wiki", [{"type": "heading_1", "text": "Runbooks"}])
        ids["synced_original"] = ws.append_blocks(handbook, _links(ws, ids))[-1]
        # A copy of the synced block on another page: it points at the original and lists its children.
        ws.append_blocks(ids["engineering"], [{"type": "synced_block", "synced_from": ids["synced_original"]}])
        ids["trashed"] = ws.create_page(handbook, "Old Offsite Notes", [{"type": "paragraph", "text": "Outdated."}])
        ws.trash_page(ids["trashed"])
        ids["private"] = ws.create_page(None, "Private Journal", [{"type": "paragraph", "text": "Not shared."}])
        ws.unshare(ids["private"])
    return ids


def _row(ws: NotionWorkspace, name: str, team: str, status: str, n: int) -> dict[str, Any]:
    return {
        "Name": name,
        "Summary": [text(f"{name} "), text("project", bold=True)],
        "Budget": 12_000 * (n + 1),
        "Priority": ("High", "Medium")[n % 2],
        "Tags": [("backend", "frontend", "research")[n % 3], "research"],
        "Status": status,
        "Due": {"start": f"2025-0{n + 3}-01", "end": f"2025-0{n + 3}-15"},
        "Owner": [ws.user_id],
        "Brief": [f"https://files.example.com/{name.lower()}-brief.pdf"],
        "Approved": n == 0,
        "Website": f"https://{name.lower()}.example.com",
        "Contact": f"{name.lower()}@example.com",
        "Phone": f"+1 555 010{n}",
        "Score": 12.0 * (n + 1),
        "Team": [team],
        "Team size": {"type": "number", "number": 5 - 2 * n, "function": "sum"},
    }


def _links(ws: NotionWorkspace, ids: dict[str, str]) -> list[dict[str, Any]]:
    mentions = [
        text("Ask "),
        mention_user(ws.user_id, ws.display_name),
        text(", read "),
        mention_page(ids["onboarding"], "Onboarding"),
        text(", track "),
        mention_database(ids["projects_database"], "Projects"),
        text(" from "),
        mention_date("2025-01-06"),
        text(", see "),
        mention_link_preview("https://github.com/example/repo/pull/1"),
    ]
    return [
        {"type": "paragraph", "rich_text": mentions},
        {"type": "link_to_page", "page_id": ids["onboarding"]},
        {"type": "link_to_page", "database_id": ids["projects_database"]},
        {"type": "synced_block", "synced_from": None, "children": [{"type": "paragraph", "text": "Synced original"}]},
    ]


def generate_notion_pages(state: SandboxState, email: str, pages: int = 300, seed: int = 0) -> list[str]:
    """`pages` pages for benches: trees up to four deep, a database's rows, and every fiftieth page long
    enough (over 100 blocks) that its children take more than one request. Page ids, in creation order."""
    state.add_user(email)
    ws = state.notion(email)
    rng = random.Random(f"notion-pages-{seed}")
    made: list[str] = []
    depth: dict[str, int] = {}
    with state.lock:
        roots = [ws.create_page(None, f"Area {i}", _filler(rng, 3)) for i in range(max(1, min(pages, pages // 25)))]
        made.extend(roots)
        depth.update(dict.fromkeys(roots, 0))
        _, tasks = ws.add_database(roots[0], "Tasks", {"Name": "title", "Done": "checkbox", "Points": "number"})
        while len(made) < pages:
            n = len(made)
            blocks = _filler(rng, 120 + rng.randrange(40) if n % 50 == 7 else 2 + rng.randrange(4))
            if rng.random() < 0.15:
                made.append(
                    ws.add_row(tasks, {"Name": f"Task {n}", "Done": rng.random() < 0.5, "Points": n % 8}, blocks)
                )
                continue
            parent = rng.choice([p for p in made[-40:] if depth.get(p, 9) < 4] or roots)
            page = ws.create_page(parent, f"Page {n}", blocks)
            depth[page] = depth[parent] + 1
            made.append(page)
    return made


_KINDS = ("paragraph", "bulleted_list_item", "to_do", "heading_2", "quote", "code")
_WORDS = "alpha beta gamma delta sync vault page block cursor token notion drive mail".split()  # noqa: SIM905


def _filler(rng: random.Random, count: int) -> list[dict[str, Any]]:
    return [
        {"type": rng.choice(_KINDS), "text": " ".join(rng.choice(_WORDS) for _ in range(4 + rng.randrange(8)))}
        for _ in range(count)
    ]
