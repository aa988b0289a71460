"""Incremental syncs from the Drive change feed: the vault follows every kind of change, item by item."""

from __future__ import annotations

import re

import pytest

from connectors_pipeline.definitions import defs
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.sync.cursors import SyncCursor
from connectors_pipeline_tests.pipeline.ground_truth import drive_truth, vault_state

COLLEAGUE = "colleague@example.com"
MEDIA = re.compile(r"^/drive/v3/files/([^/]+)(/export)?$")


def run_sync(world, **kwargs):
    job = defs.resolve_job_def("google_drive_sync")
    result = job.execute_in_process(partition_key=world.key, instance=world.instance, **kwargs)
    assert result.success
    return result


def downloaded_ids(state) -> set[str]:
    """Files whose bytes were fetched (download or export) since the last reset."""
    ids = set()
    for request in state.requests:
        match = MEDIA.match(request.path)
        if match and (match.group(2) or request.query.get("alt") == "media"):
            ids.add(match.group(1))
    return ids


def assert_vault_matches_drive(world, root: str | None) -> None:
    known = set(world.store.load_items(world.key))
    expected = drive_truth(world.state.drive(world.account.email), known, OrgPolicy(), root)
    # The corpus' export_too_large document only shows at export time; it is out of these scopes.
    assert vault_state(world.store, world.key) == expected


class Team:
    """A registered folder with one file per kind of change, and a folder outside the scope."""

    def __init__(self, world):
        drive = world.state.drive(world.account.email)
        self.drive = drive
        self.root = drive.create_folder("Team")
        self.specs = drive.create_folder("Specs", self.root)
        self.notes = drive.create_folder("Notes", self.root)
        self.outside = drive.create_folder("Elsewhere")
        text = "text/plain"
        self.edit = drive.create_file("edit.txt", self.specs, text, b"first draft of the plan")
        self.same = drive.create_file("same.txt", self.specs, text, b"stable words")
        self.rename = drive.create_file("rename.md", self.notes, "text/markdown", b"# Title\n\nbody")
        self.move = drive.create_file("move.txt", self.specs, text, b"moving between folders")
        self.leave = drive.create_file("leave.txt", self.notes, text, b"leaving the team folder")
        self.trash = drive.create_file("trash.txt", self.notes, text, b"soon in the bin")
        self.untrash = drive.create_file("untrash.txt", self.notes, text, b"back from the bin")
        self.delete = drive.create_file("delete.txt", self.notes, text, b"gone for good")
        self.shared = drive.create_file("shared.txt", self.notes, text, b"from a colleague", owner_email=COLLEAGUE)
        self.target = drive.create_file("target.txt", self.specs, text, b"reachable twice")
        self.quiet = drive.create_file("quiet.txt", self.notes, text, b"never touched")
        world.store.add_source(world.key, kind="folder", external_id=self.root, name="Team")


@pytest.fixture
def team(drive_world):
    team = Team(drive_world)
    run_sync(drive_world)
    assert_vault_matches_drive(drive_world, team.root)
    return team


def test_every_kind_of_change_reaches_the_vault_with_its_reason(drive_world, team):
    drive, store, state = team.drive, drive_world.store, drive_world.state
    added = drive.create_file("new.txt", team.notes, "text/plain", b"a new file")
    drive.update_content(team.edit, b"second draft of the plan")
    drive.update_content(team.same, b"stable words  \r\n\r\n")  # new bytes, same normalized text
    drive.rename(team.rename, "renamed.md")
    drive.move(team.move, team.notes)
    drive.move(team.leave, team.outside)
    drive.trash(team.trash)
    drive.trash(team.untrash)
    drive.delete(team.delete)
    drive.revoke_access(team.shared)
    drive.add_shortcut("target link", team.notes, team.target)
    drive.rename(team.specs, "Specifications")
    state.reset_requests()

    run_sync(drive_world)

    assert_vault_matches_drive(drive_world, team.root)
    reasons = {
        key: value[0]
        for key, value in vault_state(store, drive_world.key).items()
        if key in (team.leave, team.trash, team.delete, team.shared)
    }
    assert reasons == {
        team.leave: "deleted:moved_out_of_scope",
        team.trash: "skipped:trashed",
        team.delete: "deleted:deleted",
        team.shared: "deleted:access_lost",
    }
    # Only new and edited content is downloaded; renames and moves are metadata.
    assert downloaded_ids(state) == {added, team.edit, team.same}
    items = store.load_items(drive_world.key)
    assert len(store.list_versions(items[team.edit].vault_document_id)) == 2
    assert len(store.list_versions(items[team.same].vault_document_id)) == 1
    assert items[team.target].paths[0] == "/Team/Specifications/target.txt"

    # Round two: restore from the bin, and bring a file back into the scope.
    drive.untrash(team.untrash)
    drive.move(team.leave, team.notes)
    run_sync(drive_world)

    assert_vault_matches_drive(drive_world, team.root)
    restored = store.get_document(store.load_items(drive_world.key)[team.untrash].vault_document_id)
    assert restored.deleted_at is None and restored.current_version == 1


def test_incremental_sync_is_recorded_as_such(drive_world, team):
    team.drive.update_content(team.edit, b"an edit worth a version")
    result = run_sync(drive_world)

    store = drive_world.store
    job = store.list_jobs(limit=1, partition_key=drive_world.key)[0]
    assert (job.job_type, job.status) == ("incremental_sync", "succeeded")
    assert job.counts["mode"] == "incremental" and job.counts["files_updated"] == 1
    events = [a.event for a in store.list_activity(limit=20, partition_key=drive_world.key)]
    assert "item_updated" in events and "connector_sync_completed" in events
    listing = result.asset_materializations_for_node("google_drive__file_listing")[0].metadata
    assert listing["sync_modes"].value == {"incremental": 1}
    assert listing["items_to_fetch"].value == 1


def test_a_quiet_incremental_sync_downloads_nothing_and_makes_at_most_three_requests(drive_world, team):
    state = drive_world.state
    state.reset_requests()

    run_sync(drive_world)

    drive_api = [r for r in state.requests if r.path.startswith("/drive/")]
    assert downloaded_ids(state) == set()
    assert len(drive_api) <= 3, [r.path for r in drive_api]


def test_the_file_listing_asset_stays_the_whole_listing_after_incremental_syncs(drive_world, team):
    team.drive.delete(team.delete)
    team.drive.rename(team.rename, "renamed.md")
    run_sync(drive_world)

    frame = defs.load_asset_value(
        ["google_drive", "file_listing"], partition_key=drive_world.key, instance=drive_world.instance
    )
    listed = dict(zip(frame["external_id"], frame["name"], strict=True))
    assert team.delete not in listed and listed[team.rename] == "renamed.md"
    assert listed[team.quiet] == "quiet.txt"  # untouched files stay in the frame


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("stale", "stale_cursor"),
        ("scope", "scope_changed"),
        ("policy", "policy_changed"),
    ],
)
def test_a_cursor_that_cannot_be_used_falls_back_to_a_recorded_reconciliation(
    drive_world, team, monkeypatch, change, reason
):
    store = drive_world.store
    if change == "stale":
        cursor = SyncCursor.decode(store.get_cursor(drive_world.key))
        store.set_cursor(drive_world.key, SyncCursor("999999", cursor.scope, cursor.policy).encode())
    elif change == "scope":
        store.add_source(drive_world.key, kind="folder", external_id=team.outside, name="Elsewhere")
    else:
        monkeypatch.setenv("ORG_CONNECTORS_ALLOWED_FILE_TYPES", "pdf,docx")
    drive_world.state.drive(drive_world.account.email).create_file("late.txt", team.notes, "text/plain", b"x")

    result = run_sync(drive_world)

    listing = result.asset_materializations_for_node("google_drive__file_listing")[0].metadata
    assert listing["sync_modes"].value == {"reconcile": 1}
    assert listing["snapshot_fallbacks"].value == {drive_world.key: reason}
    events = {a.event: a.context for a in store.list_activity(limit=30, partition_key=drive_world.key)}
    assert events["connector_cursor_reset"] == {"reason": reason}
    assert events["connector_reconciliation_completed"]["fallback"] == reason
    job = store.list_jobs(limit=1, partition_key=drive_world.key)[0]
    assert job.counts["mode"] == "reconcile"
    if change == "policy":
        statuses = {item.name: item.status for item in store.load_items(drive_world.key).values()}
        assert statuses["edit.txt"] == "skipped"  # text files are no longer allowed
    # The next sync reads the feed again.
    again = run_sync(drive_world)
    assert again.asset_materializations_for_node("google_drive__file_listing")[0].metadata["sync_modes"].value == {
        "incremental": 1
    }


def test_a_requested_reconciliation_reports_what_the_feed_missed(drive_world, team):
    store = drive_world.store
    # Something the feed never delivers: a change behind the cursor's back (the cursor moved on).
    team.drive.update_content(team.edit, b"edited while nobody listened")
    cursor = SyncCursor.decode(store.get_cursor(drive_world.key))
    fresh = team.drive.start_page_token()
    store.set_cursor(drive_world.key, SyncCursor(fresh, cursor.scope, cursor.policy).encode())

    quiet = run_sync(drive_world)
    assert quiet.asset_materializations_for_node("google_drive__file_listing")[0].metadata["items_to_fetch"].value == 0

    result = run_sync(drive_world, tags={"connectors/mode": "reconcile"})

    listing = result.asset_materializations_for_node("google_drive__file_listing")[0].metadata
    assert listing["feed_missed"].value == {"new": 0, "changed": 1, "moved": 0, "removed": 0}
    assert_vault_matches_drive(drive_world, team.root)
    events = {a.event: a.context for a in store.list_activity(limit=30, partition_key=drive_world.key)}
    assert events["connector_reconciliation_completed"]["missed"]["changed"] == 1
    job = store.list_jobs(limit=1, partition_key=drive_world.key)[0]
    assert job.job_type == "reconciliation"


def test_an_item_whose_fetch_failed_is_fetched_by_the_next_sync_the_sensor_starts(drive_world, team):
    from connectors_pipeline.defs.change_sensor import poll_account
    from connectors_pipeline.defs.resources import ConnectorsResource

    state, store = drive_world.state, drive_world.store
    team.drive.update_content(team.edit, b"an edit that first fails to download")
    state.inject_fault(rf"^/drive/v3/files/{team.edit}\?.*alt=media", 503, "backendError", times=10)

    run_sync(drive_world)

    item = store.load_items(drive_world.key)[team.edit]
    assert item.status == "error"  # recorded, not lost: the cursor moved on, the item waits
    services = ConnectorsResource().open_services()
    try:
        poll = poll_account(services, drive_world.key)
    finally:
        services.store.dispose()
    assert poll is not None and poll.reason == "retry_items"

    state.clear_faults()
    run_sync(drive_world)

    assert_vault_matches_drive(drive_world, team.root)
    document = store.get_document(store.load_items(drive_world.key)[team.edit].vault_document_id)
    assert "fails to download" in document.text


def test_a_run_skips_an_account_another_run_is_syncing(drive_world, team):
    store = drive_world.store
    team.drive.update_content(team.edit, b"changed while another run holds the account")
    assert store.acquire_sync_lease(drive_world.key, "another-run")

    run_sync(drive_world)

    job = store.list_jobs(limit=1, partition_key=drive_world.key)[0]
    assert job.status == "skipped" and "another-run" in job.error
    assert store.load_items(drive_world.key)[team.edit].status == "synced"  # untouched: the edit waits
    store.release_sync_lease(drive_world.key, "another-run")

    run_sync(drive_world)

    assert_vault_matches_drive(drive_world, team.root)
    assert store.sync_lease_holder(drive_world.key) is None  # released at the end of the sync
