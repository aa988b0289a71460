"""SandboxState and seeding without HTTP, plus the server's fault, latency and lifecycle knobs."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from connectors_pipeline.sandbox import SandboxServer, SandboxState, seed_drive
from connectors_pipeline.sandbox.corpus import CorpusFile, NativeDocument

from .conftest import ALICE

SMALL: list[CorpusFile] = [
    CorpusFile(("Projects", "2024"), "plan.txt", "text/plain", b"plan"),
    CorpusFile(("Projects", "2024"), "notes.md", "text/markdown", b"# notes"),
    CorpusFile(
        ("Projects",),
        "Spec",
        "application/vnd.google-apps.document",
        None,
        native=NativeDocument("document", "Spec", "# Spec\n\nBody"),
    ),
    CorpusFile((), "Link to plan", "application/vnd.google-apps.shortcut", None, shortcut_to=0, label="shortcut"),
    CorpusFile(("Old",), "junk.txt", "text/plain", b"junk", trashed=True, label="trashed"),
]


def test_seed_drive_builds_folders_once_and_resolves_shortcuts() -> None:
    state = SandboxState(seed=1)
    ids = seed_drive(state, ALICE, SMALL)
    drive = state.drive(ALICE)
    assert sorted(ids) == [0, 1, 2, 3, 4]
    folders = [f for f in drive.visible_files() if f.is_folder]
    assert sorted(f.name for f in folders) == ["2024", "Old", "Projects"]
    plan, notes = drive.files[ids[0]], drive.files[ids[1]]
    assert plan.parent_id == notes.parent_id
    shortcut = drive.files[ids[3]]
    assert shortcut.parent_id == drive.root_id and shortcut.shortcut_target == ids[0]
    assert drive.is_trashed(drive.files[ids[4]]) and not drive.is_trashed(plan)
    assert drive.files[ids[2]].native is not None


def test_ids_and_times_are_deterministic_per_seed() -> None:
    def build(seed: int) -> list[tuple[str, str]]:
        state = SandboxState(seed=seed)
        state.issue_tokens(ALICE)  # issuing tokens must not shift file ids
        ids = seed_drive(state, ALICE, SMALL)
        drive = state.drive(ALICE)
        return [(ids[i], drive.resource(drive.files[ids[i]])["modifiedTime"]) for i in sorted(ids)]

    assert build(3) == build(3)
    assert build(3) != build(4)
    assert all(len(file_id) == 33 for file_id, _ in build(3))


def test_versions_and_revisions_follow_changes() -> None:
    state = SandboxState()
    state.add_user(ALICE)
    drive = state.drive(ALICE)
    file_id = drive.create_file("a.txt", None, "text/plain", b"one")
    first = drive.resource(drive.files[file_id])
    drive.rename(file_id, "b.txt")
    renamed = drive.resource(drive.files[file_id])
    drive.update_content(file_id, b"two")
    edited = drive.resource(drive.files[file_id])
    assert int(first["version"]) < int(renamed["version"]) < int(edited["version"])
    assert first["headRevisionId"] == renamed["headRevisionId"] != edited["headRevisionId"]
    assert first["md5Checksum"] != edited["md5Checksum"]
    assert first["modifiedTime"] < renamed["modifiedTime"] < edited["modifiedTime"]
    state.clock.advance(3600)
    drive.untrash(file_id)
    assert drive.resource(drive.files[file_id])["modifiedTime"].startswith("2025-01-06T10:")


def test_changes_pages_collapse_and_never_overlap() -> None:
    state = SandboxState()
    state.add_user(ALICE)
    drive = state.drive(ALICE)
    start = drive.start_page_token()
    ids = [drive.create_file(f"f{i}.txt", None, "text/plain", b"x") for i in range(5)]
    drive.rename(ids[0], "renamed.txt")  # f0 moves to the end of the feed
    seen, token = [], start
    while True:
        entries, next_token, new_start = drive.changes_page(token, 2)
        seen.extend(entry.file_id for entry, _ in entries)
        if new_start:
            break
        assert next_token is not None
        token = next_token
    assert seen == ids[1:] + ids[:1]
    with pytest.raises(ValueError):
        drive.changes_page("0", 2)


def test_drive_fault_has_google_shape_and_retry_after(state: SandboxState, server: SandboxServer) -> None:
    access, _ = state.issue_tokens(ALICE)
    headers = {"Authorization": f"Bearer {access}"}
    state.inject_fault(r"/drive/v3/files", 429, retry_after=7, times=2)
    for _ in range(2):
        response = httpx.get(f"{server.url}/drive/v3/files", headers=headers)
        assert response.status_code == 429 and response.headers["retry-after"] == "7"
        error = response.json()["error"]
        assert error["code"] == 429
        assert error["errors"][0] == {
            "message": "Rate Limit Exceeded",
            "domain": "usageLimits",
            "reason": "rateLimitExceeded",
        }
    assert httpx.get(f"{server.url}/drive/v3/files", headers=headers).status_code == 200
    assert [r.status for r in state.requests_to("/drive/v3/files")] == [429, 429, 200]


def test_token_fault_has_oauth_shape(state: SandboxState, server: SandboxServer) -> None:
    state.inject_fault("^/token$", 400, "invalid_grant")
    response = httpx.post(f"{server.url}/token", data={"grant_type": "refresh_token"})
    assert response.status_code == 400 and response.json() == {"error": "invalid_grant"}


def test_fault_can_match_on_query(state: SandboxState, server: SandboxServer) -> None:
    access, _ = state.issue_tokens(ALICE)
    headers = {"Authorization": f"Bearer {access}"}
    some_id = next(iter(state.seeded_ids.values()))  # type: ignore[attr-defined]
    state.inject_fault(r"alt=media", 503)
    assert httpx.get(f"{server.url}/drive/v3/files/{some_id}", headers=headers).status_code == 200
    media = httpx.get(f"{server.url}/drive/v3/files/{some_id}", params={"alt": "media"}, headers=headers)
    assert media.status_code == 503 and media.json()["error"]["errors"][0]["reason"] == "backendError"


def test_latency_knob(state: SandboxState, server: SandboxServer) -> None:
    access, _ = state.issue_tokens(ALICE)
    state.latency_ms = 150
    started = time.perf_counter()
    httpx.get(f"{server.url}/drive/v3/files", headers={"Authorization": f"Bearer {access}"})
    assert time.perf_counter() - started >= 0.15


def test_server_picks_a_port_and_releases_it() -> None:
    state = SandboxState()
    with SandboxServer(state) as server:
        assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(f"{server.url}/discovery/v1/apis/gmail/v1/rest").json()["rootUrl"] == server.url + "/"
        assert httpx.get(f"{server.url}/discovery/v1/apis/nope/v9/rest").status_code == 404
        port = server.port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # free again once the server stopped


def test_users_have_distinct_stable_identities_across_sandboxes():
    from connectors_pipeline.sandbox import SandboxState

    first, second = SandboxState(), SandboxState()
    ada = first.add_user("ada@example.com")
    bob = second.add_user("bob@example.com")

    assert ada.permission_id != bob.permission_id
    assert SandboxState(seed=9).add_user("ada@example.com").permission_id == ada.permission_id
