"""Shortcut queries, and the drive's indexes and caches: right answers, without whole-drive scans."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.discovery import Resource

from connectors_pipeline.sandbox import SandboxState
from connectors_pipeline.sandbox.drive_state import DriveAccount

from .conftest import ALICE, list_pages

SHORTCUT = "application/vnd.google-apps.shortcut"
FOLDER = "application/vnd.google-apps.folder"


def test_shortcuts_are_findable_by_query_with_paging(state: SandboxState, service: Resource) -> None:
    drive = state.drive(ALICE)
    links = drive.create_folder("Links")
    folder = drive.create_folder("Target folder")
    doc = drive.create_file("Doc", folder, "application/vnd.google-apps.document")
    pdf = drive.create_file("a.pdf", folder, "application/pdf", b"%PDF")
    expected = {
        drive.add_shortcut("to pdf", links, pdf): (links, pdf, "application/pdf"),
        drive.add_shortcut("to doc", None, doc): (drive.root_id, doc, "application/vnd.google-apps.document"),
        drive.add_shortcut("to folder", links, folder): (links, folder, FOLDER),
    }
    drive.trash(drive.add_shortcut("trashed link", links, pdf))
    seeded = {f.id: f for f in drive.visible_files() if f.mime_type == SHORTCUT and not drive.is_trashed(f)}
    for fid, f in seeded.items():
        expected.setdefault(fid, (f.parent_id, f.shortcut_target, f.shortcut_target_mime))

    files, pages = list_pages(
        service,
        q=f"mimeType = '{SHORTCUT}' and trashed = false",
        fields="nextPageToken,files(id,name,parents,shortcutDetails)",
        pageSize=2,
    )
    assert len(files) == len(expected) >= 4 and pages == -(-len(expected) // 2)
    for f in files:
        parent, target, target_mime = expected[f["id"]]
        assert set(f) == {"id", "name", "parents", "shortcutDetails"}
        assert f["parents"] == [parent]
        assert f["shortcutDetails"] == {"targetId": target, "targetMimeType": target_mime}
    by_target, _ = list_pages(service, q=f"shortcutDetails.targetId = '{pdf}'", fields="files(id)")
    assert len(by_target) == 2  # the trashed one too: no `trashed = false`


def test_listing_sees_every_mutation_despite_its_cache(state: SandboxState, service: Resource) -> None:
    drive = state.drive(ALICE)
    q = "name = 'cache probe.txt'"
    assert service.files().list(q=q).execute()["files"] == []
    fid = drive.create_file("cache probe.txt", None, "text/plain", b"1")
    assert [f["id"] for f in service.files().list(q=q).execute()["files"]] == [fid]
    drive.trash(fid)
    assert service.files().list(q=f"{q} and trashed = false").execute()["files"] == []
    drive.untrash(fid)
    drive.rename(fid, "renamed probe.txt")
    assert service.files().list(q=q).execute()["files"] == []


def test_a_page_after_a_mutation_reflects_it(state: SandboxState, service: Resource) -> None:
    drive = state.drive(ALICE)
    folder = drive.create_folder("Paged")
    first = [drive.create_file(f"{i}.txt", folder, "text/plain", b"x") for i in range(3)]
    request = service.files().list(q=f"'{folder}' in parents", pageSize=2, fields="nextPageToken,files(id)")
    page = request.execute()
    later = drive.create_file("late.txt", folder, "text/plain", b"y")
    rest = service.files().list_next(request, page).execute()
    assert [f["id"] for f in page["files"] + rest["files"]] == [*first, later]


class _CountingList(list):
    """A change log that counts how many of its entries are read."""

    reads = 0

    def __getitem__(self, index: Any) -> Any:
        item = super().__getitem__(index)
        type(self).reads += len(item) if isinstance(index, slice) else 1
        return item

    def __iter__(self) -> Any:
        type(self).reads += len(self)
        return super().__iter__()


def _big_drive(files: int = 3000) -> tuple[SandboxState, DriveAccount, list[str], list[str]]:
    state = SandboxState(seed=2)
    state.add_user(ALICE)
    drive = state.drive(ALICE)
    folders = [drive.create_folder(f"F{i}") for i in range(10)]
    ids = [drive.create_file(f"{n}.txt", folders[n % 10], "text/plain", b"%d" % n) for n in range(files)]
    return state, drive, folders, ids


def test_changes_from_a_recent_token_read_only_the_recent_log() -> None:
    _, drive, _, ids = _big_drive()
    token = drive.start_page_token()
    for fid in ids[:5]:
        drive.update_content(fid, b"edited")
    drive.update_content(ids[0], b"edited twice")
    drive.changes = _CountingList(drive.changes)
    _CountingList.reads = 0
    entries, next_token, new_start = drive.changes_page(token, 100)
    assert [e.file_id for e, _ in entries] == [*ids[1:5], ids[0]] and next_token is None
    assert new_start == drive.start_page_token()
    assert _CountingList.reads <= 6  # the six new entries, not the 3000-entry history
    # Paging reads up to the next page's first entry, never back to the start.
    _CountingList.reads = 0
    first, next_token, _ = drive.changes_page(token, 2)
    assert [e.file_id for e, _ in first] == ids[1:3] and next_token is not None
    second, _, _ = drive.changes_page(next_token, 100)
    assert [e.file_id for e, _ in second] == [*ids[3:5], ids[0]]
    assert _CountingList.reads <= 12


def test_a_paged_listing_evaluates_the_query_once(
    state: SandboxState, service: Resource, monkeypatch: pytest.MonkeyPatch
) -> None:
    drive = state.drive(ALICE)
    folders = [drive.create_folder(f"F{i}") for i in range(10)]
    ids = [drive.create_file(f"{n}.txt", folders[n % 10], "text/plain", b"%d" % n) for n in range(300)]
    calls = {"records": 0}
    original = DriveAccount.query_record

    def counting(self: DriveAccount, f: Any) -> Any:
        calls["records"] += 1
        return original(self, f)

    monkeypatch.setattr(DriveAccount, "query_record", counting)
    q = "mimeType = 'text/plain' and trashed = false"
    files, pages = list_pages(service, q=q, pageSize=50, fields="nextPageToken,files(id)")
    assert set(ids) <= {f["id"] for f in files} and pages >= 6
    assert calls["records"] == len(drive.visible_files())  # once per file, not once per file and page

    calls["records"] = 0
    in_f3 = f"'{folders[3]}' in parents and trashed = false"
    files, pages = list_pages(service, q=in_f3, pageSize=7, fields="nextPageToken,files(id)")
    assert [f["id"] for f in files] == ids[3::10] and pages == 5
    assert calls["records"] == 30  # only F3's children were looked at
    drive.move(ids[3], folders[4])  # the index follows moves, and the next listing sees it
    files, _ = list_pages(service, q=f"'{folders[4]}' in parents", fields="files(id)")
    assert [f["id"] for f in files] == [*ids[3:4], *ids[4::10]]  # creation order, as without the index


def test_subtree_operations_follow_moves_and_deletes() -> None:
    state = SandboxState()
    state.add_user(ALICE)
    drive = state.drive(ALICE)
    top = drive.create_folder("Top")
    sub = drive.create_folder("Sub", top)
    elsewhere = drive.create_folder("Elsewhere")
    stays = drive.create_file("stays.txt", sub, "text/plain", b"1")
    leaves = drive.create_file("leaves.txt", sub, "text/plain", b"2")
    arrives = drive.create_file("arrives.txt", elsewhere, "text/plain", b"3")
    drive.move(leaves, elsewhere)
    drive.move(arrives, sub)
    drive.trash(top)
    trashed = {fid for fid, f in drive.files.items() if drive.is_trashed(f)}
    assert trashed == {top, sub, stays, arrives}
    with pytest.raises(ValueError, match="own subtree"):
        drive.move(top, sub)
    drive.delete(top)
    assert set(drive.files) == {drive.root_id, elsewhere, leaves}
    assert [f.id for f in drive.matching_files("left", None)] == [elsewhere, leaves]
