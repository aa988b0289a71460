"""Files someone else owns and shared with the user: ownership fields, queries, and loss of access."""

from __future__ import annotations

import pytest
from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError

from connectors_pipeline.sandbox import SandboxState
from connectors_pipeline.sandbox.corpus import SHARED_BY, CorpusFile
from connectors_pipeline.sandbox.drive_state import identity_of

from .conftest import ALICE, BOB, index_of, list_all

CAROL = "carol.jones@partner.example.com"
OWNERSHIP = "id,name,parents,ownedByMe,owners,shared,sharingUser,capabilities(canTrash)"


def _changes_since(service: Resource, token: str, fields: str) -> list[dict]:
    changes: list[dict] = []
    while True:
        page = service.changes().list(pageToken=token, pageSize=3, fields=fields).execute()
        changes.extend(page["changes"])
        if "newStartPageToken" in page:
            return changes
        token = page["nextPageToken"]


def test_a_file_owned_by_someone_else_shows_its_owner(state: SandboxState, service: Resource) -> None:
    drive = state.drive(ALICE)
    folder = drive.create_folder("From partners")
    shared = drive.create_file("terms.txt", folder, "text/plain", b"terms", owner_email=CAROL)
    mine = drive.create_file("mine.txt", folder, "text/plain", b"mine")

    theirs = service.files().get(fileId=shared, fields=OWNERSHIP).execute()
    display_name, permission_id = identity_of(CAROL)
    assert theirs["ownedByMe"] is False and theirs["shared"] is True
    assert theirs["owners"] == [
        {
            "kind": "drive#user",
            "displayName": display_name,
            "emailAddress": CAROL,
            "permissionId": permission_id,
            "me": False,
        }
    ]
    assert display_name == "Carol Jones" and theirs["sharingUser"] == theirs["owners"][0]
    assert theirs["parents"] == [folder] and theirs["capabilities"] == {"canTrash": False}

    own = service.files().get(fileId=mine, fields=OWNERSHIP).execute()
    assert own["ownedByMe"] is True and own["shared"] is False and "sharingUser" not in own
    assert own["owners"][0]["emailAddress"] == ALICE and own["owners"][0]["me"] is True


def test_an_owner_who_is_a_sandbox_user_keeps_their_identity(state: SandboxState, server: object) -> None:
    # BOB's drive holds a file ALICE (registered as "Alice Example") shared with him.
    drive = state.drive(BOB)
    file_id = drive.create_file("from alice.txt", None, "text/plain", b"hi", owner_email=ALICE)
    owner = drive.resource(drive.files[file_id])["owners"][0]
    user = state.users[ALICE]
    assert (owner["displayName"], owner["permissionId"], owner["me"]) == ("Alice Example", user.permission_id, False)
    # The account's own address, in any case, is the user owning it.
    own = drive.create_file("mine.txt", None, "text/plain", b"x", owner_email=BOB.upper())
    assert drive.files[own].owned_by_me and drive.resource(drive.files[own])["ownedByMe"] is True


def test_owner_queries_match_the_owner(state: SandboxState, service: Resource) -> None:
    drive = state.drive(ALICE)
    folder = drive.create_folder("Partner docs", owner_email=CAROL)
    inside = drive.create_file("plan.md", folder, "text/markdown", b"# plan", owner_email=CAROL)
    fields = "nextPageToken,files(id,ownedByMe,owners(emailAddress))"

    carol = list_all(service, q=f"'{CAROL}' in owners", fields=fields, pageSize=1)
    assert {f["id"] for f in carol} == {folder, inside}
    assert all(f["ownedByMe"] is False and f["owners"] == [{"emailAddress": CAROL}] for f in carol)
    alice = list_all(service, q=f"'{ALICE}' in owners and trashed = false", fields=fields, pageSize=50)
    assert alice and not {folder, inside} & {f["id"] for f in alice}
    assert all(f["ownedByMe"] is True for f in alice)
    shared = list_all(service, q="sharedWithMe", fields="files(id)")
    readable = list_all(service, q=f"'{ALICE}' in readers and '{folder}' in parents", fields="files(id)")
    assert {f["id"] for f in shared} >= {folder, inside} and [f["id"] for f in readable] == [inside]


def test_changes_can_select_ownership(state: SandboxState, service: Resource) -> None:
    token = service.changes().getStartPageToken().execute()["startPageToken"]
    drive = state.drive(ALICE)
    shared = drive.create_file("shared.txt", None, "text/plain", b"s", owner_email=CAROL)
    mine = drive.create_file("mine.txt", None, "text/plain", b"m")
    changes = _changes_since(service, token, "nextPageToken,newStartPageToken,changes(fileId,file(ownedByMe))")
    assert changes == [
        {"fileId": shared, "file": {"ownedByMe": False}},
        {"fileId": mine, "file": {"ownedByMe": True}},
    ]
    changes = _changes_since(service, token, "newStartPageToken,nextPageToken,changes(file(id,owners/emailAddress))")
    assert [c["file"]["owners"] for c in changes] == [[{"emailAddress": CAROL}], [{"emailAddress": ALICE}]]


def test_revoking_access_to_an_owned_file_is_refused(state: SandboxState) -> None:
    drive = state.drive(ALICE)
    mine = drive.create_file("mine.txt", None, "text/plain", b"m")
    before = len(drive.changes)
    with pytest.raises(ValueError, match="cannot lose access to their own file"):
        drive.revoke_access(mine)
    with pytest.raises(ValueError, match="own file"):
        drive.revoke_access("root")
    assert len(drive.changes) == before and drive.lookup(mine) is not None


def test_revoked_file_disappears_and_is_reported_removed(state: SandboxState, service: Resource) -> None:
    drive = state.drive(ALICE)
    shared = drive.create_file("shared.txt", None, "text/plain", b"s", owner_email=CAROL)
    token = service.changes().getStartPageToken().execute()["startPageToken"]
    drive.revoke_access(shared)

    with pytest.raises(HttpError) as excinfo:
        service.files().get(fileId=shared, fields="id").execute()
    assert excinfo.value.status_code == 404
    assert shared not in {f["id"] for f in list_all(service, fields="nextPageToken,files(id)", pageSize=1000)}
    changes = _changes_since(service, token, "*")
    assert [(c["fileId"], c["removed"], "file" in c) for c in changes] == [(shared, True, False)]


def test_revoked_folder_hides_their_files_and_orphans_mine(state: SandboxState, service: Resource) -> None:
    drive = state.drive(ALICE)
    folder = drive.create_folder("Partner space", owner_email=CAROL)
    sub = drive.create_folder("Drafts", folder, owner_email=CAROL)
    theirs = drive.create_file("brief.txt", sub, "text/plain", b"b", owner_email=CAROL)
    mine = drive.create_file("my notes.txt", sub, "text/plain", b"n")
    drive.trash(sub)  # a trashed ancestor the user no longer sees does not trash what they keep
    token = service.changes().getStartPageToken().execute()["startPageToken"]
    drive.revoke_access(folder)

    visible = {f["id"]: f for f in list_all(service, fields="nextPageToken,files(id,parents,trashed)")}
    assert not {folder, sub, theirs} & set(visible)
    # An owner never loses their own file: it stays, without the parent they can no longer see.
    assert visible[mine] == {"id": mine, "trashed": False}
    for gone in (folder, sub, theirs):
        with pytest.raises(HttpError):
            service.files().get(fileId=gone).execute()
    changes = {c["fileId"]: c for c in _changes_since(service, token, "*")}
    assert {k for k, c in changes.items() if c["removed"]} == {folder, sub, theirs}
    assert changes[mine]["removed"] is False and "parents" not in changes[mine]["file"]
    assert service.files().list(q=f"'{sub}' in parents", fields="files(id)").execute()["files"] == []


def test_corpus_shared_with_me_entry_is_seeded_as_someone_elses(
    state: SandboxState, service: Resource, corpus: list[CorpusFile]
) -> None:
    index = index_of(corpus, "shared_with_me")
    assert corpus[index].owner == SHARED_BY
    file_id = state.seeded_ids[index]  # type: ignore[attr-defined]
    meta = service.files().get(fileId=file_id, fields="ownedByMe,owners(emailAddress),parents").execute()
    assert meta["ownedByMe"] is False and meta["owners"] == [{"emailAddress": SHARED_BY}]
    assert sum(1 for entry in corpus if entry.owner is not None) == 1
