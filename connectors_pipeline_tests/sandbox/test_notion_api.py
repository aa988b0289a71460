"""Notion's API through the real notion-client 3.1 against the sandbox: search, pages, blocks, data sources."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from notion_client import Client
from notion_client.errors import APIResponseError, UnknownHTTPResponseError
from notion_client.helpers import collect_paginated_api, iterate_paginated_api

from .notion_world import ADA, NotionWorld, notion_world


@pytest.fixture
def world() -> Iterator[NotionWorld]:
    with notion_world() as w:
        yield w


@pytest.fixture
def notion(world: NotionWorld) -> Client:
    return world.client()


def _search_all(notion: Client, **kwargs: object) -> tuple[list[dict], int]:
    results, pages, cursor = [], 0, None
    while True:
        answer = notion.search(**kwargs, **({"start_cursor": cursor} if cursor else {}))
        pages += 1
        results.extend(answer["results"])
        if not answer["has_more"]:
            return results, pages
        cursor = answer["next_cursor"]


def test_search_pages_through_everything_the_integration_sees(world: NotionWorld, notion: Client) -> None:
    results, pages = _search_all(notion, page_size=3)
    visible = {i["id"] for i in world.workspace.visible_items() if not i["in_trash"]}
    assert [r["id"] for r in results if r["id"] in visible] == [r["id"] for r in results]
    assert {r["id"] for r in results} == visible
    assert len(results) == len(visible) and pages == -(-len(visible) // 3)
    first = notion.search(page_size=1)
    assert first["type"] == "page_or_data_source" and first["page_or_data_source"] == {}
    assert first["object"] == "list" and first["request_id"]
    # Trashed, unshared pages are missing; data sources are listed as such.
    assert world.ids["trashed"] not in visible and world.ids["private"] not in {r["id"] for r in results}
    assert {r["object"] for r in results} == {"page", "data_source"}


def test_search_sorts_by_edit_time_with_ties_by_id(world: NotionWorld, notion: Client) -> None:
    ascending, _ = _search_all(notion, sort={"timestamp": "last_edited_time", "direction": "ascending"})
    keys = [(r["last_edited_time"][:16], r["id"]) for r in ascending if r["object"] == "page"]
    assert keys == sorted(keys)
    world.workspace.update_block(
        collect_paginated_api(notion.blocks.children.list, block_id=world.ids["day_one"])[0]["id"], text="Edited"
    )
    world.state.clock.advance(120)
    world.workspace.rename_page(world.ids["onboarding"], "Onboarding v2")
    newest = notion.search(sort={"timestamp": "last_edited_time", "direction": "descending"}, page_size=2)["results"]
    assert [r["id"] for r in newest][0] == world.ids["onboarding"]
    assert all(r["last_edited_time"].endswith(":00.000Z") for r in newest if r["object"] == "page")


def test_search_filters_by_object_and_title(world: NotionWorld, notion: Client) -> None:
    sources = notion.search(filter={"property": "object", "value": "data_source"})["results"]
    assert {s["id"] for s in sources} == {world.ids["projects"], world.ids["teams"]}
    assert all(s["parent"]["type"] == "database_id" for s in sources)
    found = notion.search(query="onboard", filter={"property": "object", "value": "page"})["results"]
    assert [r["id"] for r in found] == [world.ids["onboarding"]]
    with pytest.raises(APIResponseError) as error:
        notion.search(filter={"property": "object", "value": "database"})  # 2022-06-28's value
    assert error.value.code == "validation_error" and error.value.status == 400


def test_page_size_over_100_is_a_validation_error(notion: Client, world: NotionWorld) -> None:
    for call in (
        lambda: notion.search(page_size=101),
        lambda: notion.blocks.children.list(world.ids["handbook"], page_size=101),
    ):
        with pytest.raises(APIResponseError) as error:
            call()
        assert (error.value.status, error.value.code) == (400, "validation_error")


def test_hidden_page_is_missed_by_search_but_retrievable(world: NotionWorld, notion: Client) -> None:
    world.workspace.hide_from_search(world.ids["first_week"])
    assert world.ids["first_week"] not in {r["id"] for r in _search_all(notion)[0]}
    assert notion.pages.retrieve(world.ids["first_week"])["id"] == world.ids["first_week"]


def test_block_children_paginate_by_next_block_id(world: NotionWorld, notion: Client) -> None:
    page = world.workspace.create_page(
        world.ids["handbook"], "Long", [{"type": "paragraph", "text": f"line {i}"} for i in range(230)]
    )
    first = notion.blocks.children.list(page)
    assert len(first["results"]) == 100 and first["has_more"] and first["type"] == "block" and first["block"] == {}
    assert (
        first["next_cursor"] == notion.blocks.children.list(page, start_cursor=first["next_cursor"])["results"][0]["id"]
    )
    blocks = list(iterate_paginated_api(notion.blocks.children.list, block_id=page.replace("-", "")))
    assert [b["paragraph"]["rich_text"][0]["plain_text"] for b in blocks] == [f"line {i}" for i in range(230)]
    assert len(world.state.requests_to(f"^/v1/blocks/{page.replace('-', '')}/children$")) == 3
    with pytest.raises(APIResponseError) as error:
        notion.blocks.children.list(page, start_cursor="00000000-0000-4000-8000-000000000000")
    assert error.value.code == "validation_error"


def test_pages_retrieve_trashed_deleted_and_unshared(world: NotionWorld, notion: Client) -> None:
    trashed = notion.pages.retrieve(world.ids["trashed"])
    assert trashed["in_trash"] is True and trashed["archived"] is True
    page = notion.pages.retrieve(world.ids["day_one"].replace("-", ""))
    assert page["id"] == world.ids["day_one"] and page["parent"] == {
        "type": "page_id",
        "page_id": world.ids["first_week"],
    }
    assert page["properties"]["title"]["title"][0]["plain_text"] == "Day One"
    assert page["created_time"].endswith(":00.000Z") and page["url"].endswith(world.ids["day_one"].replace("-", ""))
    world.workspace.delete_page(world.ids["first_week"])
    for gone in (world.ids["first_week"], world.ids["day_one"]):
        with pytest.raises(APIResponseError) as error:
            notion.pages.retrieve(gone)
        assert (error.value.status, error.value.code) == (404, "object_not_found")
        assert error.value.body and f"Could not find page with ID: {gone}." in str(error.value)
    world.workspace.unshare(world.ids["handbook"])
    with pytest.raises(APIResponseError) as error:
        notion.pages.retrieve(world.ids["onboarding"])
    assert error.value.code == "object_not_found"
    assert world.ids["onboarding"] not in {r["id"] for r in _search_all(notion)[0]}


def test_child_page_block_is_the_page(world: NotionWorld, notion: Client) -> None:
    blocks = collect_paginated_api(notion.blocks.children.list, block_id=world.ids["handbook"])
    child = next(b for b in blocks if b["type"] == "child_page")
    assert child["id"] == world.ids["onboarding"] and child["child_page"] == {"title": "Onboarding"}
    assert child["has_children"] is True
    database = next(b for b in blocks if b["type"] == "child_database")
    assert database["id"] == world.ids["projects_database"]
    assert notion.blocks.retrieve(world.ids["onboarding"])["type"] == "child_page"
    assert world.ids["trashed"] not in {b["id"] for b in blocks}


def test_database_to_data_source_query(world: NotionWorld, notion: Client) -> None:
    database = notion.databases.retrieve(world.ids["projects_database"])
    assert database["object"] == "database" and "properties" not in database
    assert database["data_sources"] == [{"id": world.ids["projects"], "name": "Projects"}]
    source = notion.data_sources.retrieve(database["data_sources"][0]["id"])
    assert source["properties"]["Status"]["type"] == "status"
    rows = collect_paginated_api(notion.data_sources.query, data_source_id=world.ids["projects"], page_size=2)
    assert {r["id"] for r in rows} == {world.ids["row:Vault"], world.ids["row:Search"], world.ids["row:Empty"]}
    vault = next(r for r in rows if r["id"] == world.ids["row:Vault"])
    assert vault["parent"] == {
        "type": "data_source_id",
        "data_source_id": world.ids["projects"],
        "database_id": database["id"],
    }
    assert vault["properties"]["Status"]["status"]["name"] == "In progress"
    assert vault["properties"]["ID"]["unique_id"] == {"prefix": "PRJ", "number": 1}
    world.workspace.trash_page(world.ids["row:Empty"])
    live = notion.data_sources.query(world.ids["projects"])["results"]
    assert world.ids["row:Empty"] not in {r["id"] for r in live}
    with_trash = notion.data_sources.query(world.ids["projects"], in_trash=True)["results"]
    assert world.ids["row:Empty"] in {r["id"] for r in with_trash}


def test_users_me_is_the_bot_of_the_workspace(world: NotionWorld, notion: Client) -> None:
    me = notion.users.me()
    assert me["object"] == "user" and me["type"] == "bot" and me["id"] == world.workspace.bot_id
    assert me["bot"]["owner"]["user"]["person"]["email"] == ADA
    assert me["bot"]["workspace_name"] == world.workspace.workspace_name


def test_edits_bump_the_page_to_the_minute(world: NotionWorld, notion: Client) -> None:
    before = notion.pages.retrieve(world.ids["day_one"])["last_edited_time"]
    world.state.clock.advance(300)
    world.workspace.append_blocks(world.ids["day_one"], [{"type": "to_do", "text": "Lunch"}])
    after = notion.pages.retrieve(world.ids["day_one"])["last_edited_time"]
    assert after > before and after.endswith(":00.000Z")


def test_notion_version_is_checked(world: NotionWorld) -> None:
    with pytest.raises(APIResponseError) as error:
        world.client(notion_version="2022-06-28").users.me()
    assert error.value.status == 400 and "2025-09-03" in str(error.value)
    answer = httpx.get(f"{world.server.url}/v1/users/me", headers={"Authorization": f"Bearer {world.access_token}"})
    assert answer.status_code == 400 and answer.json()["code"] == "missing_version"
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert answer.headers["x-notion-request-id"] == answer.json()["request_id"]


def test_unknown_token_and_url(world: NotionWorld) -> None:
    with pytest.raises(APIResponseError) as error:
        world.client(token="ntn_not-a-token").search()
    assert (error.value.status, error.value.code, str(error.value)) == (401, "unauthorized", "API token is invalid.")
    with pytest.raises(APIResponseError) as error:
        world.client().request("comments/nowhere", "GET")
    assert error.value.code == "invalid_request_url"
    with pytest.raises(UnknownHTTPResponseError):
        # A missing version is a code notion-client 3.1 does not know.
        Client(auth=world.access_token, base_url=world.server.url, notion_version="", retry=False).users.me()
