"""Drive v3 through the real google-api-python-client, built from the sandbox's discovery document."""

from __future__ import annotations

import io
import json
from pathlib import Path

import googleapiclient
import httpx
import pytest
from googleapiclient.discovery import Resource
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload

from connectors_pipeline.sandbox import SandboxServer, SandboxState
from connectors_pipeline.sandbox.corpus import CorpusFile

from .conftest import ALICE, index_of, list_all

FOLDER = "application/vnd.google-apps.folder"


def test_list_with_q_fields_and_pagination(state: SandboxState, service: Resource) -> None:
    files = list_all(
        service,
        q="trashed = false and mimeType != 'application/vnd.google-apps.folder'",
        fields="nextPageToken, files(id,name,mimeType,parents,md5Checksum,modifiedTime,trashed)",
        pageSize=7,
    )
    drive = state.drive(ALICE)
    expected = {f.id for f in drive.visible_files() if not f.is_folder and not drive.is_trashed(f)}
    assert {f["id"] for f in files} == expected
    assert len(files) == len(expected)  # no duplicates across pages
    pages = state.requests_to("^/drive/v3/files$")
    assert len(pages) == -(-len(expected) // 7)
    assert all(set(f) <= {"id", "name", "mimeType", "parents", "md5Checksum", "modifiedTime", "trashed"} for f in files)
    assert all(f["modifiedTime"].endswith("Z") and f["trashed"] is False for f in files)


def test_list_children_of_root_and_default_fields(service: Resource) -> None:
    page = service.files().list(q="'root' in parents and mimeType = 'application/vnd.google-apps.folder'").execute()
    assert page["kind"] == "drive#fileList" and page["incompleteSearch"] is False
    names = {f["name"] for f in page["files"]}
    assert {"Projects", "Finance"} <= names
    assert all(set(f) == {"kind", "id", "name", "mimeType"} for f in page["files"])


def test_get_metadata_and_not_found(state: SandboxState, service: Resource, corpus: list[CorpusFile]) -> None:
    pdf_id = state.seeded_ids[index_of(corpus, "pdf")]  # type: ignore[attr-defined]
    meta = service.files().get(fileId=pdf_id, fields="id,name,size,md5Checksum,version,headRevisionId").execute()
    content = corpus[index_of(corpus, "pdf")].content
    assert content is not None and meta["size"] == str(len(content))
    with pytest.raises(HttpError) as excinfo:
        service.files().get(fileId="1missing").execute()
    assert excinfo.value.status_code == 404
    assert excinfo.value.error_details[0]["reason"] == "notFound"


def test_multi_chunk_download_uses_range(state: SandboxState, service: Resource, corpus: list[CorpusFile]) -> None:
    index = index_of(corpus, "oversize")
    content = corpus[index].content
    assert content is not None and len(content) == 300_000
    buffer = io.BytesIO()
    downloader = MediaIoBaseDownload(
        buffer,
        service.files().get_media(fileId=state.seeded_ids[index]),
        chunksize=64 * 1024,  # type: ignore[attr-defined]
    )
    done = False
    while not done:
        _, done = downloader.next_chunk()
    assert buffer.getvalue() == content
    media = state.requests_to("^/drive/v3/files/[^/]+$")
    assert [r.status for r in media] == [206] * 5
    assert all(r.query.get("alt") == "media" for r in media)


def test_empty_file_download(state: SandboxState, service: Resource, corpus: list[CorpusFile]) -> None:
    buffer = io.BytesIO()
    request = service.files().get_media(fileId=state.seeded_ids[index_of(corpus, "empty")])  # type: ignore[attr-defined]
    downloader = MediaIoBaseDownload(buffer, request, chunksize=1024)
    assert downloader.next_chunk()[1] is True
    assert buffer.getvalue() == b""


def test_native_download_refused_and_export_works(
    state: SandboxState, service: Resource, corpus: list[CorpusFile]
) -> None:
    doc_id = state.seeded_ids[index_of(corpus, "google_doc")]  # type: ignore[attr-defined]
    with pytest.raises(HttpError) as excinfo:
        service.files().get_media(fileId=doc_id).execute()
    assert excinfo.value.status_code == 403
    assert excinfo.value.error_details[0]["reason"] == "fileNotDownloadable"
    markdown = service.files().export_media(fileId=doc_id, mimeType="text/markdown").execute()
    assert markdown.decode("utf-8").strip()
    buffer = io.BytesIO()
    downloader = MediaIoBaseDownload(buffer, service.files().export_media(fileId=doc_id, mimeType="application/pdf"))
    while not downloader.next_chunk()[1]:
        pass
    assert buffer.getvalue().startswith(b"%PDF")


def test_export_size_limit(state: SandboxState, service: Resource, corpus: list[CorpusFile]) -> None:
    big_id = state.seeded_ids[index_of(corpus, "export_too_large")]  # type: ignore[attr-defined]
    with pytest.raises(HttpError) as excinfo:
        service.files().export_media(fileId=big_id, mimeType="text/plain").execute()
    assert excinfo.value.status_code == 403
    assert excinfo.value.error_details[0]["reason"] == "exportSizeLimitExceeded"
    assert json.loads(excinfo.value.content) == {
        "error": {
            "errors": [
                {
                    "message": "This file is too large to be exported.",
                    "domain": "global",
                    "reason": "exportSizeLimitExceeded",
                }
            ],
            "code": 403,
            "message": "This file is too large to be exported.",
        }
    }
    # The limit is a knob: a tiny limit makes any export fail the same way.
    state.export_size_limit = 10
    doc_id = state.seeded_ids[index_of(corpus, "google_doc")]  # type: ignore[attr-defined]
    with pytest.raises(HttpError, match="too large"):
        service.files().export_media(fileId=doc_id, mimeType="text/plain").execute()


def test_export_of_stored_file_and_unsupported_target(
    state: SandboxState, service: Resource, corpus: list[CorpusFile]
) -> None:
    pdf_id = state.seeded_ids[index_of(corpus, "pdf")]  # type: ignore[attr-defined]
    with pytest.raises(HttpError) as excinfo:
        service.files().export_media(fileId=pdf_id, mimeType="text/plain").execute()
    assert excinfo.value.error_details[0]["reason"] == "fileNotExportable"
    sheet_id = state.seeded_ids[index_of(corpus, "google_sheet")]  # type: ignore[attr-defined]
    with pytest.raises(HttpError) as excinfo:
        service.files().export_media(fileId=sheet_id, mimeType="text/markdown").execute()
    assert excinfo.value.status_code == 400
    assert excinfo.value.error_details[0]["reason"] == "badRequest"


def test_changes_after_mutations(state: SandboxState, service: Resource, corpus: list[CorpusFile]) -> None:
    start = service.changes().getStartPageToken().execute()
    assert start["kind"] == "drive#startPageToken"
    drive = state.drive(ALICE)
    ids = state.seeded_ids  # type: ignore[attr-defined]
    new_id = drive.create_file("new.txt", None, "text/plain", b"hello")
    drive.update_content(new_id, b"hello again")  # collapses with the creation
    trashed_id, deleted_id = ids[index_of(corpus, "pdf")], ids[index_of(corpus, "docx")]
    revoked_id = ids[index_of(corpus, "shared_with_me")]  # only someone else's file can be unshared
    drive.trash(trashed_id)
    drive.delete(deleted_id)
    drive.revoke_access(revoked_id)

    changes, token = [], start["startPageToken"]
    while True:
        page = service.changes().list(pageToken=token, pageSize=2, fields="*").execute()
        assert ("nextPageToken" in page) != ("newStartPageToken" in page)
        changes.extend(page["changes"])
        if "newStartPageToken" in page:
            break
        token = page["nextPageToken"]
    by_id = {c["fileId"]: c for c in changes}
    assert len(by_id) == len(changes) == 4
    assert by_id[new_id]["removed"] is False and by_id[new_id]["file"]["size"] == str(len(b"hello again"))
    assert by_id[trashed_id]["removed"] is False and by_id[trashed_id]["file"]["trashed"] is True
    for gone in (deleted_id, revoked_id):
        assert by_id[gone]["removed"] is True and "file" not in by_id[gone]
    # Nothing new since: an empty page with the same start token.
    again = service.changes().list(pageToken=page["newStartPageToken"]).execute()
    assert again["changes"] == [] and again["newStartPageToken"] == page["newStartPageToken"]
    with pytest.raises(HttpError) as excinfo:
        service.changes().list(pageToken="garbage").execute()
    assert excinfo.value.status_code == 400


def test_expired_access_token_refreshes_once_and_replays(state: SandboxState, service: Resource) -> None:
    service.files().list(pageSize=1).execute()
    state.reset_requests()
    state.expire_access_tokens(ALICE)
    service.files().list(pageSize=1).execute()
    assert [(r.path, r.status) for r in state.requests] == [
        ("/drive/v3/files", 401),
        ("/token", 200),
        ("/drive/v3/files", 200),
    ]


def test_only_roots_differ_from_production(server: SandboxServer, service: Resource) -> None:
    served = httpx.get(f"{server.url}/discovery/v1/apis/drive/v3/rest").json()
    bundled_path = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "drive.v3.json"
    bundled = json.loads(bundled_path.read_text())
    rooted = {"rootUrl", "baseUrl", "mtlsRootUrl"}
    assert {k: v for k, v in served.items() if k not in rooted} == {k: v for k, v in bundled.items() if k not in rooted}
    assert served["rootUrl"] == f"{server.url}/"
    assert served["baseUrl"] == f"{server.url}/drive/v3/"
    assert service.files().list(pageSize=3).uri.startswith(f"{server.url}/drive/v3/files?")
    assert service.files().get_media(fileId="abc").uri.startswith(f"{server.url}/drive/v3/files/abc?")
    assert service.changes().list(pageToken="1").uri.startswith(f"{server.url}/drive/v3/changes?")
    assert service.new_batch_http_request()._batch_uri == f"{server.url}/batch/drive/v3"


def test_long_query_uses_post_method_override(state: SandboxState, service: Resource) -> None:
    names = " or ".join(f"name = 'no such file {i:04d}'" for i in range(120))
    q = f"({names} or name = 'Finance') and trashed = false"
    request = service.files().list(q=q, fields="files(id,name)")
    page = request.execute()
    assert request.method == "POST"  # googleapiclient rewrote the >2048-char GET
    assert [f["name"] for f in page["files"]] == ["Finance"]
    assert state.requests[-1].method == "GET" and state.requests[-1].query["q"] == q


def test_retryable_fault_is_retried_by_client(state: SandboxState, service: Resource) -> None:
    state.inject_fault(r"^/drive/v3/files$", 403, "userRateLimitExceeded", times=1)
    page = service.files().list(pageSize=1).execute(num_retries=2)
    assert len(page["files"]) == 1
    assert [r.status for r in state.requests_to("^/drive/v3/files$")] == [403, 200]
