"""Drive v3 wire details over plain HTTP: error bodies, parameters, Range, tokens, partial responses."""

from __future__ import annotations

import httpx
import pytest

from connectors_pipeline.sandbox import SandboxServer, SandboxState
from connectors_pipeline.sandbox.corpus import CorpusFile

from .conftest import ALICE, BOB, index_of


@pytest.fixture
def client(state: SandboxState, server: SandboxServer) -> httpx.Client:
    access, _ = state.issue_tokens(ALICE)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {access}"}) as c:
        yield c  # type: ignore[misc]


def _reason(response: httpx.Response) -> str:
    return response.json()["error"]["errors"][0]["reason"]


def test_missing_or_unknown_token_is_401_auth_error(server: SandboxServer) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = httpx.get(f"{server.url}/drive/v3/files", headers=headers)
        assert response.status_code == 401
        assert _reason(response) == "authError"
        assert response.json()["error"]["code"] == 401
        assert "invalid_token" in response.headers["www-authenticate"]


def test_revoked_grant_access_token_stops_working(state: SandboxState, client: httpx.Client) -> None:
    assert client.get("/drive/v3/files").status_code == 200
    state.revoke_user_grants(ALICE)
    assert client.get("/drive/v3/files").status_code == 401


def test_request_log_records_user_query_and_status(state: SandboxState, client: httpx.Client) -> None:
    client.get("/drive/v3/files", params={"pageSize": 2, "q": "trashed = false"})
    record = state.requests[-1]
    assert (record.method, record.path, record.status, record.user) == ("GET", "/drive/v3/files", 200, ALICE)
    assert record.query == {"pageSize": "2", "q": "trashed = false"}


def test_users_see_only_their_drive(state: SandboxState, server: SandboxServer, client: httpx.Client) -> None:
    access, _ = state.issue_tokens(BOB)
    bob = httpx.get(f"{server.url}/drive/v3/files", headers={"Authorization": f"Bearer {access}"}).json()
    assert bob["files"] == []
    some_id = next(iter(state.seeded_ids.values()))  # type: ignore[attr-defined]
    response = httpx.get(f"{server.url}/drive/v3/files/{some_id}", headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 404
    assert response.json()["error"]["errors"][0] == {
        "message": f"File not found: {some_id}.",
        "domain": "global",
        "reason": "notFound",
        "location": "fileId",
        "locationType": "parameter",
    }


@pytest.mark.parametrize(
    ("params", "status", "reason"),
    [
        ({"pageToken": "garbage"}, 400, "invalid"),
        ({"pageSize": "0"}, 400, "invalid"),
        ({"pageSize": "abc"}, 400, "invalid"),
        ({"q": "name = "}, 400, "invalid"),
        ({"orderBy": "size"}, 400, "invalid"),
        ({"fields": "files(id,bogus)"}, 400, "invalidParameter"),
        ({"fields": "nope"}, 400, "invalidParameter"),
        ({"corpora": "drive"}, 400, "invalid"),
        (
            {"corpora": "drive", "driveId": "0Abc", "supportsAllDrives": "true"},
            403,
            "teamDriveIncludeItemsRequired",
        ),
        ({"includeItemsFromAllDrives": "true"}, 403, "forbidden"),
        (
            {
                "corpora": "drive",
                "driveId": "0Abc",
                "supportsAllDrives": "true",
                "includeItemsFromAllDrives": "true",
            },
            404,
            "notFound",
        ),
        ({"supportsAllDrives": "maybe"}, 400, "invalid"),
    ],
)
def test_files_list_parameter_errors(client: httpx.Client, params: dict[str, str], status: int, reason: str) -> None:
    response = client.get("/drive/v3/files", params=params)
    assert response.status_code == status, response.text
    assert _reason(response) == reason


def test_files_list_accepts_gspread_style_parameters(client: httpx.Client) -> None:
    response = client.get(
        "/drive/v3/files",
        params={
            "q": 'mimeType="application/vnd.google-apps.spreadsheet"',
            "pageSize": "5000",  # coerced to 1000
            "supportsAllDrives": "True",
            "includeItemsFromAllDrives": "True",
            "fields": "kind,nextPageToken,files(id,name,createdTime,modifiedTime)",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"kind", "files"} and body["files"]
    assert all(set(f) == {"id", "name", "createdTime", "modifiedTime"} for f in body["files"])


def test_page_token_is_bound_to_its_query(client: httpx.Client) -> None:
    first = client.get("/drive/v3/files", params={"pageSize": 2, "q": "trashed = false"}).json()
    token = first["nextPageToken"]
    assert client.get("/drive/v3/files", params={"pageSize": 2, "q": "trashed = false", "pageToken": token}).is_success
    other = client.get("/drive/v3/files", params={"pageSize": 2, "q": "trashed = true", "pageToken": token})
    assert other.status_code == 400


def test_order_by_folder_then_name_desc(client: httpx.Client) -> None:
    files = client.get(
        "/drive/v3/files",
        params={"orderBy": "folder,name desc", "pageSize": 1000, "fields": "files(name,mimeType)"},
    ).json()["files"]
    folder_flags = [f["mimeType"] == "application/vnd.google-apps.folder" for f in files]
    assert folder_flags == sorted(folder_flags, reverse=True)
    folders = [f["name"].casefold() for f in files if f["mimeType"] == "application/vnd.google-apps.folder"]
    assert folders == sorted(folders, reverse=True)


def test_list_includes_trashed_unless_filtered(state: SandboxState, client: httpx.Client, corpus: list) -> None:
    trashed_id = state.seeded_ids[index_of(corpus, "trashed")]  # type: ignore[attr-defined]
    all_ids = {f["id"] for f in client.get("/drive/v3/files", params={"pageSize": 1000}).json()["files"]}
    live = client.get("/drive/v3/files", params={"pageSize": 1000, "q": "trashed = false"}).json()["files"]
    assert trashed_id in all_ids and trashed_id not in {f["id"] for f in live}


def test_shortcut_resource(state: SandboxState, client: httpx.Client, corpus: list[CorpusFile]) -> None:
    index = index_of(corpus, "shortcut")
    target_index = corpus[index].shortcut_to
    assert target_index is not None
    ids = state.seeded_ids  # type: ignore[attr-defined]
    body = client.get(f"/drive/v3/files/{ids[index]}", params={"fields": "mimeType,shortcutDetails,size"}).json()
    assert body == {
        "mimeType": "application/vnd.google-apps.shortcut",
        "shortcutDetails": {"targetId": ids[target_index], "targetMimeType": corpus[target_index].mime_type},
    }


def test_full_resource_and_root_alias(state: SandboxState, client: httpx.Client, corpus: list[CorpusFile]) -> None:
    root = client.get("/drive/v3/files/root", params={"fields": "id,name,mimeType"}).json()
    assert root == {
        "id": state.drive(ALICE).root_id,
        "name": "My Drive",
        "mimeType": "application/vnd.google-apps.folder",
    }
    doc_id = state.seeded_ids[index_of(corpus, "google_doc")]  # type: ignore[attr-defined]
    doc = client.get(f"/drive/v3/files/{doc_id}", params={"fields": "*"}).json()
    assert "md5Checksum" not in doc and "size" not in doc
    assert doc["exportLinks"]["text/markdown"].endswith(f"/drive/v3/files/{doc_id}/export?mimeType=text/markdown")
    assert len(doc["id"]) == 33 and doc["owners"][0]["emailAddress"] == ALICE


@pytest.mark.parametrize(
    ("range_header", "status", "content_range", "body_slice"),
    [
        ("bytes=0-9", 206, "bytes 0-9/{n}", slice(0, 10)),
        ("bytes=10-", 206, "bytes 10-{last}/{n}", slice(10, None)),
        ("bytes=-5", 206, "bytes {tail}-{last}/{n}", slice(-5, None)),
        ("bytes=0-999999999", 206, "bytes 0-{last}/{n}", slice(0, None)),
        (None, 200, None, slice(0, None)),
        ("bytes=999999999-", 416, "bytes */{n}", slice(0, 0)),
    ],
)
def test_media_range(
    state: SandboxState,
    client: httpx.Client,
    corpus: list[CorpusFile],
    range_header: str | None,
    status: int,
    content_range: str | None,
    body_slice: slice,
) -> None:
    index = index_of(corpus, "markdown")
    content = corpus[index].content
    assert content is not None
    n = len(content)
    headers = {"Range": range_header} if range_header else {}
    response = client.get(f"/drive/v3/files/{state.seeded_ids[index]}", params={"alt": "media"}, headers=headers)  # type: ignore[attr-defined]
    assert response.status_code == status
    assert "content-encoding" not in response.headers
    if content_range:
        assert response.headers["content-range"] == content_range.format(n=n, last=n - 1, tail=n - 5)
    if status != 416:
        assert response.content == content[body_slice]


def test_metadata_only_scope_cannot_download(state: SandboxState, server: SandboxServer, corpus: list) -> None:
    access, _ = state.issue_tokens(ALICE, ("https://www.googleapis.com/auth/drive.metadata.readonly",))
    headers = {"Authorization": f"Bearer {access}"}
    file_id = state.seeded_ids[index_of(corpus, "pdf")]  # type: ignore[attr-defined]
    assert httpx.get(f"{server.url}/drive/v3/files/{file_id}", headers=headers).status_code == 200
    media = httpx.get(f"{server.url}/drive/v3/files/{file_id}", params={"alt": "media"}, headers=headers)
    assert media.status_code == 403 and _reason(media) == "insufficientPermissions"


def test_about_requires_fields(client: httpx.Client) -> None:
    assert client.get("/drive/v3/about").status_code == 400
    about = client.get("/drive/v3/about", params={"fields": "user,exportFormats"}).json()
    assert set(about) == {"user", "exportFormats"}
    assert about["user"]["emailAddress"] == ALICE


def test_changes_parameters(state: SandboxState, client: httpx.Client) -> None:
    assert _reason(client.get("/drive/v3/changes")) == "required"
    start = client.get("/drive/v3/changes/startPageToken").json()["startPageToken"]
    drive = state.drive(ALICE)
    keep = drive.create_file("a.txt", None, "text/plain", b"a")
    gone = drive.create_file("b.txt", None, "text/plain", b"b")
    drive.delete(gone)
    without_removed = client.get("/drive/v3/changes", params={"pageToken": start, "includeRemoved": "false"}).json()
    assert [c["fileId"] for c in without_removed["changes"]] == [keep]
    default = client.get("/drive/v3/changes", params={"pageToken": start}).json()
    assert [c["fileId"] for c in default["changes"]] == [keep, gone]
    assert set(default["changes"][0]["file"]) == {"kind", "id", "name", "mimeType"}
    assert int(default["newStartPageToken"]) > int(start)
    future = str(int(default["newStartPageToken"]) + 1)
    assert client.get("/drive/v3/changes", params={"pageToken": future}).status_code == 400


def test_trashing_a_folder_trashes_its_contents(state: SandboxState, client: httpx.Client) -> None:
    drive = state.drive(ALICE)
    folder = drive.create_folder("Old")
    inner = drive.create_file("inner.txt", folder, "text/plain", b"x")
    start = drive.start_page_token()
    drive.trash(folder)
    body = client.get(f"/drive/v3/files/{inner}", params={"fields": "trashed,explicitlyTrashed"}).json()
    assert body == {"trashed": True, "explicitlyTrashed": False}
    changed = client.get("/drive/v3/changes", params={"pageToken": start, "fields": "changes(fileId,file/trashed)"})
    assert changed.json()["changes"] == [
        {"fileId": folder, "file": {"trashed": True}},
        {"fileId": inner, "file": {"trashed": True}},
    ]
