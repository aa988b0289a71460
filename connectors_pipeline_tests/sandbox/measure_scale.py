"""Scale figures for the Drive sandbox (not a test): `python -m connectors_pipeline_tests.sandbox.measure_scale`.

Seeds one account with N files in nested folders through DriveAccount methods, then times, through
the real google-api-python-client over HTTP: the full listing (1000 per page), a folder-by-folder
listing (as a scoped sync does), changes.list from the latest token, 100 edits followed by
changes.list, and subtree operations on the state itself. `--full-history` adds changes.list from
the very first token (every entry of the log).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from connectors_pipeline.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxServer, SandboxState

USER = "scale@example.com"
FOLDER = "application/vnd.google-apps.folder"
SHORTCUT = "application/vnd.google-apps.shortcut"
FILE_FIELDS = (
    "id,name,mimeType,parents,size,md5Checksum,modifiedTime,version,headRevisionId,trashed,webViewLink,"
    "shortcutDetails,ownedByMe"
)


def timed(label: str, figures: dict[str, float], fn: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = fn()
    figures[label] = round(time.perf_counter() - started, 3)
    print(f"{label:<44} {figures[label]:>8.3f} s", flush=True)
    return result


def seed(state: SandboxState, files: int, fanout: int = 10, depth: int = 3) -> tuple[list[list[str]], list[str]]:
    """`fanout`**`depth` leaf folders (plus their ancestors), files spread evenly over the leaves.

    Returns the folder ids level by level (top level first) and the file ids.
    """
    drive = state.drive(USER)
    levels = [[drive.root_id]]
    for d in range(depth):
        levels.append(
            [drive.create_folder(f"F{d}-{i}-{j}", parent) for i, parent in enumerate(levels[-1]) for j in range(fanout)]
        )
    leaves = levels[-1]
    ids = [
        drive.create_file(f"file {n:06d}.txt", leaves[n % len(leaves)], "text/plain", b"x%d" % n) for n in range(files)
    ]
    return levels[1:], ids


def list_all(service: Any, q: str, fields: str) -> int:
    count, request = 0, service.files().list(q=q, fields=f"nextPageToken, files({fields})", pageSize=1000)
    while request is not None:
        page = request.execute()
        count += len(page["files"])
        request = service.files().list_next(request, page)
    return count


def list_changes(service: Any, token: str) -> tuple[int, str]:
    count = 0
    while True:
        page = (
            service.changes()
            .list(
                pageToken=token,
                pageSize=1000,
                fields=f"nextPageToken,newStartPageToken,changes(fileId,removed,file({FILE_FIELDS}))",
            )
            .execute()
        )
        count += len(page["changes"])
        if "newStartPageToken" in page:
            return count, page["newStartPageToken"]
        token = page["nextPageToken"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--full-history", action="store_true", help="also list changes from the first token")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    state = SandboxState(seed=1)
    state.add_user(USER)
    drive = state.drive(USER)
    levels, ids = timed(f"seed {args.files} files", figures, lambda: seed(state, args.files))
    print(f"  change log holds {len(drive.changes)} entries", flush=True)
    access, refresh = state.issue_tokens(USER)
    with SandboxServer(state) as server:
        creds = Credentials(
            token=access,
            refresh_token=refresh,
            token_uri=f"{server.url}/token",
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
        )
        service = build(
            "drive",
            "v3",
            credentials=creds,
            discoveryServiceUrl=f"{server.url}/discovery/v1/apis/{{api}}/{{apiVersion}}/rest",
            cache_discovery=False,
        )
        not_folder = f"mimeType != '{FOLDER}' and mimeType != '{SHORTCUT}'"
        n = timed("list all files (client, 1000/page)", figures, lambda: list_all(service, not_folder, FILE_FIELDS))
        assert n == args.files, n
        timed("list folders (client)", figures, lambda: list_all(service, f"mimeType = '{FOLDER}'", "id,name,parents"))

        some_folders = [f for level in levels for f in level[: len(level) // 10]]

        def per_folder() -> int:  # a scoped listing asks folder by folder (`'F' in parents and ...`)
            return sum(list_all(service, f"'{f}' in parents and {not_folder}", "id,name,parents") for f in some_folders)

        n = timed(f"list {len(some_folders)} folders' files one by one", figures, per_folder)
        assert n == args.files // 10, n
        token = service.changes().getStartPageToken().execute()["startPageToken"]
        count, _ = timed("changes.list from latest token", figures, lambda: list_changes(service, token))
        assert count == 0

        def edit() -> None:
            for i in range(100):
                drive.update_content(ids[i * (len(ids) // 100)], b"edited %d" % i)

        timed("100 edits (state)", figures, edit)
        count, _ = timed("changes.list after 100 edits", figures, lambda: list_changes(service, token))
        assert count == 100, count
        timed("get one file (client)", figures, lambda: service.files().get(fileId=ids[-1], fields="*").execute())
        top = levels[0][0]
        timed("trash + untrash a top folder (state)", figures, lambda: (drive.trash(top), drive.untrash(top)))
        leaf = levels[-1][0]
        timed("trash + untrash a 100-file folder (state)", figures, lambda: (drive.trash(leaf), drive.untrash(leaf)))
        if args.full_history:
            count, _ = timed("changes.list from token 1 (client)", figures, lambda: list_changes(service, "1"))
            print(f"  {count} changes", flush=True)


if __name__ == "__main__":
    main()
