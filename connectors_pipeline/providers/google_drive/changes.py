"""The delta since a cursor: Drive changes.list pages, followed until newStartPageToken.

Kept deliberately simple (full incremental sync is built on top later): file upserts, trashed
files as upserts with trashed=True, removals as DELETED (Drive does not say whether a removed
file was deleted or unshared), files that left the scope as MOVED_OUT_OF_SCOPE. Folder and
shortcut changes are not reported here.
"""

from __future__ import annotations

from typing import Any

from connectors_pipeline.domain.errors import ConnectorError, StaleCursorError
from connectors_pipeline.domain.file_types import GOOGLE_FOLDER, GOOGLE_SHORTCUT
from connectors_pipeline.domain.items import Change, RemovalReason
from connectors_pipeline.providers.base import ChangeBatch, Scope
from connectors_pipeline.providers.google_drive.client import DriveClient
from connectors_pipeline.providers.google_drive.listing import get_file, root_folder_id
from connectors_pipeline.providers.google_drive.paths import FILE_FIELDS, FOLDER_FIELDS, PathResolver, to_item

CHANGE_FIELDS = f"nextPageToken, newStartPageToken, changes(changeType, removed, fileId, file({FILE_FIELDS}))"


def start_page_token(client: DriveClient, scope: Scope) -> str:
    kwargs: dict[str, Any] = {"supportsAllDrives": True} if scope.include_shared_drives else {}
    response = client.execute(client.service.changes().getStartPageToken(**kwargs), "getting the change cursor")
    return str(response["startPageToken"])


def _in_scope(meta: dict[str, Any], scope: Scope, resolver: PathResolver) -> bool:
    if not scope.roots:
        return True
    roots = set(scope.roots)
    parents = tuple(meta.get("parents") or ())
    if meta["id"] in roots:
        return True
    if not scope.recursive:
        return any(p in roots for p in parents)
    return any(roots & resolver.ancestors(p) for p in parents)


def list_changes(client: DriveClient, cursor: str, scope: Scope, page_size: int) -> ChangeBatch:
    # the root id is only looked up once a path is needed: a poll with no changes costs one call
    resolver = PathResolver(
        root_lookup=lambda: root_folder_id(client), fetch=lambda fid: get_file(client, fid, FOLDER_FIELDS)
    )
    kwargs: dict[str, Any] = {
        "pageToken": cursor,
        "pageSize": min(page_size, 1000),
        "includeRemoved": True,
        "fields": CHANGE_FIELDS,
    }
    if scope.include_shared_drives:
        kwargs.update(includeItemsFromAllDrives=True, supportsAllDrives=True)
    by_id: dict[str, Change] = {}  # Drive collapses edits per poll; we keep the last entry per file too
    page_token: str | None = cursor
    while True:
        request = client.service.changes().list(**{**kwargs, "pageToken": page_token})
        response = _execute_list(client, request)
        for entry in response.get("changes") or []:
            change = _to_change(entry, scope, resolver)
            if change is not None:
                by_id.pop(change.external_id, None)
                by_id[change.external_id] = change
        if response.get("newStartPageToken"):
            return ChangeBatch(changes=list(by_id.values()), next_cursor=str(response["newStartPageToken"]))
        page_token = response.get("nextPageToken")
        if not page_token:
            raise ConnectorError("changes.list returned neither nextPageToken nor newStartPageToken")


def _execute_list(client: DriveClient, request: Any) -> dict[str, Any]:
    try:
        return client.execute(request, "listing changes")
    except ConnectorError as exc:
        # Drive answers 400 (invalid pageToken) or 404/410 for a token it no longer knows
        if getattr(exc, "http_status", None) in (400, 404, 410):
            raise StaleCursorError(f"the change cursor is no longer valid: {exc}") from None
        raise


def _to_change(entry: dict[str, Any], scope: Scope, resolver: PathResolver) -> Change | None:
    if entry.get("changeType", "file") != "file" or not entry.get("fileId"):
        return None  # shared-drive changes (changeType=drive) carry no file
    file_id = str(entry["fileId"])
    meta = entry.get("file")
    if entry.get("removed") or meta is None:
        return Change(external_id=file_id, removal=RemovalReason.DELETED)
    if meta.get("mimeType") in (GOOGLE_FOLDER, GOOGLE_SHORTCUT):
        return None
    if not _in_scope(meta, scope, resolver):
        return Change(external_id=file_id, removal=RemovalReason.MOVED_OUT_OF_SCOPE)
    paths = tuple(resolver.file_paths(meta.get("name", ""), tuple(meta.get("parents") or ())))
    return Change(external_id=file_id, item=to_item(meta, (paths[0], *sorted(set(paths[1:]) - {paths[0]}))))
