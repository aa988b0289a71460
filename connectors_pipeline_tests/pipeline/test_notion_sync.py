"""Notion through the same asset factory: pages and databases become Markdown vault items, kept in step."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors_pipeline.sandbox import SandboxState, seed_notion
from connectors_pipeline.sandbox.ground_truth import vault_state, workspace_truth
from connectors_pipeline_tests.pipeline.conftest import USER, provider_world

BLOCK_READS = r"^/v1/blocks/[^/]+/children$"


@pytest.fixture
def notion_world(connectors_env, monkeypatch):
    monkeypatch.setenv("CONNECTORS_NOTION_REQUESTS_PER_SECOND", "1000")  # the sandbox has no limit here
    state = SandboxState()
    state.add_user(USER)
    ids = seed_notion(state, USER)
    with provider_world(connectors_env, "notion", state) as world:
        world.ids = ids
        yield world


def assert_vault_matches_workspace(world) -> None:
    known = set(world.store.load_items(world.key))
    assert vault_state(world.store, world.key) == workspace_truth(world.state.notion(USER), known)


def document_text(world, external_id: str) -> str:
    item = world.store.load_items(world.key, external_ids=[external_id])[external_id]
    return world.store.get_document(item.vault_document_id).text


def rendered_pages(world) -> set[str]:
    """Pages whose blocks were read (rendered) since the last reset (not the blocks nested in them)."""
    pages = set(world.state.notion(USER).pages)
    return {r.path.split("/")[3] for r in world.state.requests_to(BLOCK_READS)} & pages


def test_initial_sync_renders_every_page_and_database(notion_world):
    result = notion_world.sync()

    assert_vault_matches_workspace(notion_world)
    handbook = document_text(notion_world, notion_world.ids["handbook"])
    assert handbook.startswith("---\n") and "# Team Handbook" in handbook
    assert "Unsupported Notion block" in handbook  # an unknown block is a placeholder, not a failure
    row = document_text(notion_world, notion_world.ids["row:Vault"])
    assert "Vault plan" in row and "properties:" in row
    listing = result.asset_materializations_for_node("notion__file_listing")[0].metadata
    assert listing["sync_modes"].value == {"initial": 1}


def later(world, minutes: int = 5) -> None:
    """Let the sandbox's Notion clock move on: page times are whole minutes."""
    world.state.clock.advance(timedelta(minutes=minutes))


def test_edits_new_pages_and_renames_reach_the_vault_incrementally(notion_world):
    notion_world.sync()
    ws = notion_world.state.notion(USER)
    later(notion_world)
    ws.append_blocks(notion_world.ids["day_one"], [{"type": "paragraph", "text": "Lunch with the team at noon."}])
    new = ws.create_page(
        notion_world.ids["engineering"], "Incident Review", [{"type": "paragraph", "text": "Root cause."}]
    )
    ws.rename_page(notion_world.ids["onboarding"], "Onboarding Guide")

    result = notion_world.sync()

    listing = result.asset_materializations_for_node("notion__file_listing")[0].metadata
    assert listing["sync_modes"].value == {"incremental": 1}
    assert_vault_matches_workspace(notion_world)
    assert "Lunch with the team" in document_text(notion_world, notion_world.ids["day_one"])
    assert "Root cause" in document_text(notion_world, new)
    assert "# Onboarding Guide" in document_text(notion_world, notion_world.ids["onboarding"])

    later(notion_world)
    ws.append_blocks(notion_world.ids["day_one"], [{"type": "paragraph", "text": "Dinner too."}])
    notion_world.state.reset_requests()
    notion_world.sync()

    # The edited page is read, and the pages of the previous sync's newest minute (they may have
    # changed later in that minute); nothing older.
    rendered = rendered_pages(notion_world)
    assert notion_world.ids["day_one"] in rendered
    assert rendered <= {notion_world.ids[k] for k in ("day_one", "onboarding", "engineering")} | {new}
    assert "Dinner too." in document_text(notion_world, notion_world.ids["day_one"])


def test_a_second_edit_within_the_same_minute_is_not_missed(notion_world):
    notion_world.sync()
    ws = notion_world.state.notion(USER)
    ws.append_blocks(notion_world.ids["day_one"], [{"type": "paragraph", "text": "First edit."}])
    notion_world.sync()
    ws.append_blocks(notion_world.ids["day_one"], [{"type": "paragraph", "text": "Second edit, same minute."}])

    notion_world.sync()

    assert "Second edit, same minute." in document_text(notion_world, notion_world.ids["day_one"])


def test_trash_delete_and_unshare_leave_the_vault_at_the_full_walk(notion_world):
    notion_world.sync()
    ws = notion_world.state.notion(USER)
    ws.trash_page(notion_world.ids["first_week"])  # its subpage goes to the trash with it
    ws.delete_page(notion_world.ids["row:Empty"])
    ws.unshare(notion_world.ids["engineering"])

    result = notion_world.sync(mode="reconcile")

    assert_vault_matches_workspace(notion_world)
    state = vault_state(notion_world.store, notion_world.key)
    assert state[notion_world.ids["first_week"]] == ("skipped:trashed", None)
    assert state[notion_world.ids["row:Empty"]] == ("deleted:deleted", None)
    listing = result.asset_materializations_for_node("notion__file_listing")[0].metadata
    assert listing["sync_modes"].value == {"reconcile": 1}

    ws.restore_page(notion_world.ids["first_week"])
    notion_world.sync(mode="reconcile")
    assert_vault_matches_workspace(notion_world)


def test_the_walk_finds_pages_that_search_misses(notion_world):
    ws = notion_world.state.notion(USER)
    ws.hide_from_search(notion_world.ids["day_one"])

    notion_world.sync()

    assert_vault_matches_workspace(notion_world)
    assert "Welcome!" in document_text(notion_world, notion_world.ids["day_one"])


def test_a_quiet_workspace_costs_one_search_and_the_newest_minute(notion_world):
    notion_world.sync()
    later(notion_world)
    ws = notion_world.state.notion(USER)
    ws.append_blocks(notion_world.ids["day_one"], [{"type": "paragraph", "text": "The newest edit."}])
    notion_world.sync()
    notion_world.state.reset_requests()

    notion_world.sync()

    # Notion keeps edit times to the minute, so the pages of the newest minute are read again, in
    # case they changed later in that minute (their ancestors are read for their paths); nothing else is.
    day_one = notion_world.ids["day_one"]
    ancestors = {f"/v1/pages/{notion_world.ids[k]}" for k in ("handbook", "onboarding", "first_week")}
    requests = [(r.method, r.path) for r in notion_world.state.requests]
    assert requests[0] == ("POST", "/v1/search")
    assert set(requests[1:]) == {("GET", path) for path in ancestors} | {
        ("GET", f"/v1/pages/{day_one}"),
        ("GET", f"/v1/blocks/{day_one}/children"),
    }


def test_a_page_source_syncs_only_its_subtree(notion_world):
    notion_world.store.add_source(notion_world.key, kind="page", external_id=notion_world.ids["onboarding"], name="On")

    notion_world.sync()

    ingested = {k for k, v in vault_state(notion_world.store, notion_world.key).items() if v[0] == "ingested"}
    assert notion_world.ids["onboarding"] in ingested and notion_world.ids["day_one"] in ingested
    assert notion_world.ids["teams"] in ingested  # the inline database inside it
    assert notion_world.ids["handbook"] not in ingested and notion_world.ids["engineering"] not in ingested


def test_the_change_sensor_polls_with_one_search_and_syncs_only_after_an_edit(notion_world):
    notion_world.sync()
    notion_world.state.reset_requests()
    quiet = notion_world.changes_sensor()
    assert quiet.run_requests == []
    assert [(r.method, r.path) for r in notion_world.state.requests] == [("POST", "/v1/search")]

    later(notion_world)
    notion_world.state.notion(USER).rename_page(notion_world.ids["day_one"], "Day One, revised")
    changed = notion_world.changes_sensor(quiet.cursor)

    [request] = changed.run_requests
    assert request.partition_key == notion_world.key


def test_a_database_source_syncs_its_data_source_and_rows(notion_world):
    database = notion_world.ids["projects_database"]
    notion_world.store.add_source(notion_world.key, kind="database", external_id=database, name="Projects")

    notion_world.sync()

    ingested = {k for k, v in vault_state(notion_world.store, notion_world.key).items() if v[0] == "ingested"}
    rows = {notion_world.ids[f"row:{name}"] for name in ("Vault", "Search", "Empty")}
    assert ingested == {notion_world.ids["projects"]} | rows


def settle(world) -> None:
    """Sync, then let the clock pass the cursor's minute and sync again: later edits stand alone."""
    world.sync()
    later(world)
    world.state.notion(USER).append_blocks(world.ids["engineering"], [{"type": "paragraph", "text": "Tick."}])
    world.sync()
    later(world)


def test_a_renamed_page_moves_everything_below_it_without_reading_their_content(notion_world):
    settle(notion_world)
    notion_world.state.notion(USER).rename_page(notion_world.ids["onboarding"], "Welcome Aboard")
    versions = notion_world.store.count_versions(notion_world.key)

    notion_world.sync()

    assert_vault_matches_workspace(notion_world)  # subpages and the inline database's rows have new paths
    rows = vault_state(notion_world.store, notion_world.key)
    assert rows[notion_world.ids["day_one"]][1] == {"Team Handbook/Welcome Aboard/First Week/Day One"}
    # Only the renamed page has new text (its title); what lies below moved without a new version.
    assert notion_world.store.count_versions(notion_world.key) == versions + 1


def test_a_subtree_moved_out_of_a_page_source_leaves_with_its_subpages(notion_world):
    ws = notion_world.state.notion(USER)
    notion_world.store.add_source(notion_world.key, kind="page", external_id=notion_world.ids["handbook"], name="H")
    settle(notion_world)
    ws.move_page(notion_world.ids["first_week"], notion_world.ids["engineering"])

    notion_world.sync()

    state = vault_state(notion_world.store, notion_world.key)
    assert state[notion_world.ids["first_week"]] == ("deleted:moved_out_of_scope", None)
    assert state[notion_world.ids["day_one"]] == ("deleted:moved_out_of_scope", None)


def test_a_top_level_page_search_misses_survives_the_full_walk(notion_world):
    notion_world.sync()
    notion_world.state.notion(USER).hide_from_search(notion_world.ids["engineering"])

    notion_world.sync(mode="reconcile")

    assert vault_state(notion_world.store, notion_world.key)[notion_world.ids["engineering"]][0] == "ingested"


def test_a_page_source_pasted_without_dashes_is_found(notion_world):
    dashless = notion_world.ids["onboarding"].replace("-", "")
    notion_world.store.add_source(notion_world.key, kind="page", external_id=dashless, name="Onboarding")

    notion_world.sync()

    ingested = {k for k, v in vault_state(notion_world.store, notion_world.key).items() if v[0] == "ingested"}
    assert notion_world.ids["day_one"] in ingested


def test_a_hosted_file_renders_without_its_signature_so_a_recheck_adds_no_version(notion_world):
    ws = notion_world.state.notion(USER)
    page = ws.create_page(None, "Photos", [{"type": "image", "url": "https://example.com/a.png", "hosted": True}])
    notion_world.sync()
    text = document_text(notion_world, page)
    versions = notion_world.store.count_versions(notion_world.key)

    notion_world.sync()  # the page is in the cursor's minute: read again, with a freshly signed URL

    assert "X-Amz" not in text and "a.png" in text
    assert notion_world.store.count_versions(notion_world.key) == versions


def test_a_synced_block_whose_original_is_not_shared_still_renders_its_page(notion_world):
    ws = notion_world.state.notion(USER)
    ws.unshare(notion_world.ids["handbook"])  # the synced block's original lives in the handbook

    notion_world.sync()

    assert vault_state(notion_world.store, notion_world.key)[notion_world.ids["engineering"]][0] == "ingested"
    assert "# Runbooks" in document_text(notion_world, notion_world.ids["engineering"])
