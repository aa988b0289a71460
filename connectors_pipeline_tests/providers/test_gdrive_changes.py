"""changes(): trash, delete, unshare, edits, scope and stale cursors against the sandbox change log."""

from __future__ import annotations

from typing import Any

import pytest

from connectors_pipeline.domain.errors import StaleCursorError
from connectors_pipeline.domain.file_types import GOOGLE_FOLDER
from connectors_pipeline.domain.items import RemovalReason
from connectors_pipeline.providers.base import Scope


def test_changes_report_trash_delete_unshare_and_edits(sandbox: Any) -> None:
    drive = sandbox.drive
    folder = drive.create_folder("Docs")
    trashed = drive.create_file("trash-me.txt", folder, "text/plain", b"a")
    deleted = drive.create_file("delete-me.txt", folder, "text/plain", b"b")
    edited = drive.create_file("edit-me.txt", folder, "text/plain", b"c")
    unshared = drive.create_file("unshare-me.txt", None, "text/plain", b"d", owner_email="bob@example.com")
    provider = sandbox.provider()
    snapshot = provider.snapshot(Scope())
    cursor = snapshot.cursor
    ownership = {item.external_id: item.owned_by_account for item in snapshot.items}
    assert ownership[unshared] is False and ownership[edited] is True

    drive.trash(trashed)
    drive.delete(deleted)
    drive.update_content(edited, b"c, edited")
    drive.revoke_access(unshared)
    drive.rename(folder, "Renamed docs")  # folders are not items, but their files' paths change
    added = drive.create_file("new.txt", None, "text/plain", b"e")

    batch = provider.changes(cursor, [Scope()])
    by_id = {c.external_id: c for c in batch.changes}
    assert set(by_id) == {trashed, deleted, edited, unshared, added}
    assert by_id[trashed].item is not None and by_id[trashed].item.trashed
    assert by_id[deleted].removal == RemovalReason.DELETED
    # Drive cannot tell deleted from unshared; the pipeline knows the file was someone else's.
    assert by_id[unshared].removal == RemovalReason.DELETED
    assert by_id[edited].item is not None and by_id[edited].item.size == len(b"c, edited")
    assert by_id[edited].item.paths == ("/Renamed docs/edit-me.txt",)
    assert by_id[added].item is not None and by_id[added].item.paths == ("/new.txt",)

    again = provider.changes(batch.next_cursor, [Scope()])
    assert again.changes == [] and again.next_cursor == batch.next_cursor


def test_changes_follow_pages(sandbox: Any) -> None:
    drive = sandbox.drive
    provider = sandbox.provider(page_size=2)
    cursor = provider.snapshot(Scope()).cursor
    ids = {drive.create_file(f"n{i}.txt", None, "text/plain", b"x") for i in range(7)}
    batch = provider.changes(cursor, [Scope()])
    assert {c.external_id for c in batch.changes} == ids
    assert len(sandbox.state.requests_to(r"^/drive/v3/changes$")) >= 4


def test_changes_outside_the_scope_are_moved_out(sandbox: Any) -> None:
    drive = sandbox.drive
    inside = drive.create_folder("In")
    deep = drive.create_folder("Deep", inside)
    outside = drive.create_folder("Out")
    stays = drive.create_file("stays.txt", deep, "text/plain", b"1")
    leaves = drive.create_file("leaves.txt", inside, "text/plain", b"2")
    provider = sandbox.provider()
    scope = Scope(roots=(inside,))
    cursor = provider.snapshot(scope).cursor
    drive.update_content(stays, b"1+")
    drive.move(leaves, outside)
    by_id = {c.external_id: c for c in provider.changes(cursor, [scope]).changes}
    assert by_id[stays].item is not None and by_id[stays].item.paths == ("/In/Deep/stays.txt",)
    assert by_id[leaves].removal == RemovalReason.MOVED_OUT_OF_SCOPE
    flat = {c.external_id: c for c in provider.changes(cursor, [Scope(roots=(inside,), recursive=False)]).changes}
    assert flat[stays].removal == RemovalReason.MOVED_OUT_OF_SCOPE
    assert all(c.item is None or c.item.mime_type != GOOGLE_FOLDER for c in flat.values())


@pytest.mark.parametrize("cursor", ["999999", "not-a-token"])
def test_stale_cursor(sandbox: Any, cursor: str) -> None:
    with pytest.raises(StaleCursorError):
        sandbox.provider().changes(cursor, [Scope()])


def test_injected_410_is_a_stale_cursor(sandbox: Any) -> None:
    provider = sandbox.provider()
    cursor = provider.snapshot(Scope()).cursor
    sandbox.state.inject_fault(r"^/drive/v3/changes\?", 410, "deleted")
    with pytest.raises(StaleCursorError):
        provider.changes(cursor, [Scope()])


def test_a_quiet_poll_is_one_call(sandbox: Any) -> None:
    provider = sandbox.provider()
    cursor = provider.snapshot(Scope()).cursor
    sandbox.state.reset_requests()
    batch = provider.changes(cursor, [Scope()])
    assert batch.changes == [] and batch.next_cursor == cursor
    assert [r.path for r in sandbox.state.requests] == ["/drive/v3/changes"]


def test_shared_drive_options_are_sent(sandbox: Any) -> None:
    sandbox.drive.create_file("a.txt", None, "text/plain", b"a")
    provider = sandbox.provider()
    scope = Scope(include_shared_drives=True)
    snapshot = provider.snapshot(scope)
    assert [i.name for i in snapshot.items] == ["a.txt"]
    provider.changes(snapshot.cursor, [scope])
    listing = sandbox.state.requests_to(r"^/drive/v3/files$")[-1].query
    assert listing["corpora"] == "allDrives" and listing["includeItemsFromAllDrives"] == "true"
    assert sandbox.state.requests_to(r"^/drive/v3/changes$")[-1].query["supportsAllDrives"] == "true"


def test_a_renamed_folder_reports_every_file_below_it_at_its_new_path(sandbox: Any) -> None:
    drive = sandbox.drive
    top = drive.create_folder("Top")
    sub = drive.create_folder("Sub", top)
    a = drive.create_file("a.txt", top, "text/plain", b"a")
    b = drive.create_file("b.txt", sub, "text/plain", b"b")
    drive.create_file("elsewhere.txt", None, "text/plain", b"c")
    provider = sandbox.provider()
    cursor = provider.snapshot(Scope()).cursor
    drive.rename(top, "Renamed")
    by_id = {c.external_id: c for c in provider.changes(cursor, [Scope()]).changes}
    assert {key: c.item.paths for key, c in by_id.items() if c.item} == {
        a: ("/Renamed/a.txt",),
        b: ("/Renamed/Sub/b.txt",),
    }


def test_a_folder_moved_out_of_and_into_the_scope_takes_its_files_along(sandbox: Any) -> None:
    drive = sandbox.drive
    inside, outside = drive.create_folder("In"), drive.create_folder("Out")
    leaving = drive.create_folder("Leaving", inside)
    arriving = drive.create_folder("Arriving", outside)
    left = drive.create_file("left.txt", leaving, "text/plain", b"1")
    came = drive.create_file("came.txt", arriving, "text/plain", b"2")
    provider = sandbox.provider()
    scopes = [Scope(roots=(inside,))]
    cursor = provider.snapshot(scopes[0]).cursor
    drive.move(leaving, outside)
    drive.move(arriving, inside)
    by_id = {c.external_id: c for c in provider.changes(cursor, scopes).changes}
    assert by_id[left].removal == RemovalReason.MOVED_OUT_OF_SCOPE
    assert by_id[came].item is not None and by_id[came].item.paths == ("/In/Arriving/came.txt",)


def test_a_new_shortcut_reports_its_target_with_every_path(sandbox: Any) -> None:
    drive = sandbox.drive
    docs, links = drive.create_folder("Docs"), drive.create_folder("Links")
    target = drive.create_file("plan.md", docs, "text/markdown", b"# plan")
    provider = sandbox.provider()
    cursor = provider.snapshot(Scope()).cursor
    drive.add_shortcut("plan shortcut", links, target)
    changes = provider.changes(cursor, [Scope()]).changes
    assert [(c.external_id, c.item.paths if c.item else None) for c in changes] == [
        (target, ("/Docs/plan.md", "/Links/plan shortcut"))
    ]


def test_has_changes_is_one_cheap_request(sandbox: Any) -> None:
    provider = sandbox.provider()
    cursor = provider.snapshot(Scope()).cursor
    sandbox.state.reset_requests()
    assert provider.has_changes(cursor, [Scope()]) is False
    sandbox.drive.create_file("new.txt", None, "text/plain", b"x")
    assert provider.has_changes(cursor, [Scope()]) is True
    polls = sandbox.state.requests_to(r"^/drive/v3/changes$")
    assert len(sandbox.state.requests) == len(polls) == 2
    assert all(poll.query["pageSize"] == "1" for poll in polls)
    with pytest.raises(StaleCursorError):
        provider.has_changes("999999", [Scope()])


def test_a_bad_request_that_is_not_about_the_token_is_not_a_stale_cursor(sandbox: Any) -> None:
    from connectors_pipeline.domain.errors import ConnectorError

    provider = sandbox.provider()
    cursor = provider.snapshot(Scope()).cursor
    sandbox.state.inject_fault(r"^/drive/v3/changes\?", 400, "invalidParameter")
    with pytest.raises(ConnectorError) as raised:
        provider.changes(cursor, [Scope()])
    assert not isinstance(raised.value, StaleCursorError)
