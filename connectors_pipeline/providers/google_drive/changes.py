"""The delta since a cursor: Drive changes.list pages, followed until newStartPageToken.

Drive reports each changed file once, at its current state. Three things it does not say are
worked out here, with requests in proportion to the change, never to the drive:
- a folder renamed or moved changes the paths of everything below it, but only the folder is
  reported: its subtree is listed again, so renamed paths and subtrees moved in or out of scope
  come out as ordinary changes;
- a shortcut added, trashed or removed changes its target's paths: the target is reported again
  with all its paths (the account's shortcuts are listed once per poll that needs them);
- `removed: true` does not say why: a removal is reported as DELETED, and the pipeline, which
  remembers whether the account owned the file, records a shared file's removal as lost access.
A file the scope no longer reaches is reported as MOVED_OUT_OF_SCOPE.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from connectors_pipeline.domain.errors import ConnectorError, StaleCursorError
from connectors_pipeline.domain.file_types import GOOGLE_FOLDER, GOOGLE_SHORTCUT
from connectors_pipeline.domain.items import Change, RemovalReason
from connectors_pipeline.providers.base import ChangeBatch, Scope
from connectors_pipeline.providers.google_drive.client import DriveClient
from connectors_pipeline.providers.google_drive.listing import get_file, quote, root_folder_id
from connectors_pipeline.providers.google_drive.paths import (
    FILE_FIELDS,
    FOLDER_FIELDS,
    PathResolver,
    order_paths,
    to_item,
)

CHANGE_FIELDS = f"nextPageToken, newStartPageToken, changes(changeType, removed, fileId, file({FILE_FIELDS}))"
PEEK_FIELDS = "nextPageToken, newStartPageToken, changes(fileId)"


def start_page_token(client: DriveClient, scope: Scope) -> str:
    kwargs: dict[str, Any] = {"supportsAllDrives": True} if scope.include_shared_drives else {}
    response = client.execute(client.service.changes().getStartPageToken(**kwargs), "getting the change cursor")
    return str(response["startPageToken"])


def has_changes(client: DriveClient, cursor: str, shared_drives: bool) -> bool:
    """One request: is there anything at all after the cursor?"""
    request = client.service.changes().list(**{**_list_kwargs(cursor, 1, shared_drives), "fields": PEEK_FIELDS})
    response = _execute_list(client, request)
    return bool(response.get("changes") or response.get("nextPageToken"))


def list_changes(client: DriveClient, cursor: str, scopes: Sequence[Scope], page_size: int) -> ChangeBatch:
    shared_drives = any(scope.include_shared_drives for scope in scopes)
    entries: dict[str, dict[str, Any]] = {}  # the last entry per file; Drive collapses edits per poll too
    page_token = cursor
    while True:
        request = client.service.changes().list(**_list_kwargs(page_token, page_size, shared_drives))
        response = _execute_list(client, request)
        for entry in response.get("changes") or []:
            if entry.get("changeType", "file") == "file" and entry.get("fileId"):  # drive changes carry no file
                entries.pop(str(entry["fileId"]), None)
                entries[str(entry["fileId"])] = entry
        if response.get("newStartPageToken"):
            next_cursor = str(response["newStartPageToken"])
            break
        page_token = response.get("nextPageToken")
        if not page_token:
            raise ConnectorError("changes.list returned neither nextPageToken nor newStartPageToken")
    changes = _ChangeReader(client, scopes, page_size).read(list(entries.values())) if entries else []
    return ChangeBatch(changes=changes, next_cursor=next_cursor)


def _list_kwargs(page_token: str, page_size: int, shared_drives: bool) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "pageToken": page_token,
        "pageSize": min(page_size, 1000),
        "includeRemoved": True,
        "fields": CHANGE_FIELDS,
    }
    if shared_drives:
        kwargs.update(includeItemsFromAllDrives=True, supportsAllDrives=True)
    return kwargs


def _execute_list(client: DriveClient, request: Any) -> dict[str, Any]:
    try:
        return client.execute(request, "listing changes")
    except ConnectorError as exc:
        # Drive answers 404/410 for a token it no longer knows, and 400 naming pageToken for one it
        # never issued. Another 400 is our bug: a snapshot on every run would only hide it.
        status, location = getattr(exc, "http_status", None), getattr(exc, "http_location", None)
        if status in (404, 410) or (status == 400 and location == "pageToken"):
            raise StaleCursorError(f"the change cursor is no longer valid: {exc}") from None
        raise


class _ChangeReader:
    """Turns one poll's entries into Changes; folder metadata and shortcuts are looked up lazily."""

    def __init__(self, client: DriveClient, scopes: Sequence[Scope], page_size: int):
        self.client = client
        self.page_size = page_size
        self.whole_drive = any(not scope.roots for scope in scopes)
        self.recursive_roots = {root for scope in scopes if scope.recursive for root in scope.roots}
        self.flat_roots = {root for scope in scopes if not scope.recursive for root in scope.roots}
        self.resolver = PathResolver(
            root_lookup=lambda: root_folder_id(client), fetch=lambda fid: get_file(client, fid, FOLDER_FIELDS)
        )
        self._shortcuts: dict[str, list[dict[str, Any]]] | None = None

    def read(self, entries: list[dict[str, Any]]) -> list[Change]:
        changed_folders: list[dict[str, Any]] = []
        for entry in entries:
            meta = entry.get("file")
            if meta is not None and not entry.get("removed") and meta.get("mimeType") == GOOGLE_FOLDER:
                self.resolver.add(meta)  # current state, before any path is built
                changed_folders.append(meta)
        out: dict[str, Change] = {}
        for entry in entries:
            file_id, meta = str(entry["fileId"]), entry.get("file")
            if entry.get("removed") or meta is None:
                out[file_id] = Change(external_id=file_id, removal=RemovalReason.DELETED)
            elif meta.get("mimeType") == GOOGLE_SHORTCUT:
                self._add_target(meta, out)
            elif meta.get("mimeType") != GOOGLE_FOLDER:
                out[file_id] = self._file_change(meta)
        for meta in self._subtree_files(changed_folders):
            if meta.get("mimeType") == GOOGLE_SHORTCUT:
                self._add_target(meta, out)
            else:
                out[meta["id"]] = self._file_change(meta)
        return list(out.values())

    # -- scope and paths --------------------------------------------------------------------

    def _folder_in_scope(self, folder_id: str) -> bool:
        if self.whole_drive or folder_id in self.flat_roots:
            return True
        return bool(self.recursive_roots and self.recursive_roots & self.resolver.ancestors(folder_id))

    def _scoped_parents(self, meta: dict[str, Any]) -> tuple[str, ...]:
        parents = tuple(meta.get("parents") or ())
        if self.whole_drive or meta["id"] in self.recursive_roots | self.flat_roots:
            return parents
        return tuple(p for p in parents if self._folder_in_scope(p))

    def _file_change(self, meta: dict[str, Any]) -> Change:
        file_id = str(meta["id"])
        parents = self._scoped_parents(meta)
        own = self.resolver.file_paths(meta.get("name", ""), parents) if parents or self.whole_drive else []
        extra = self._shortcut_paths(file_id)
        if not own and not extra:
            return Change(external_id=file_id, removal=RemovalReason.MOVED_OUT_OF_SCOPE)
        return Change(external_id=file_id, item=to_item(meta, order_paths(own, extra)))

    # -- shortcuts --------------------------------------------------------------------------

    def _shortcut_index(self) -> dict[str, list[dict[str, Any]]]:
        if self._shortcuts is None:
            self._shortcuts = {}
            for meta in self._list(f"mimeType = '{GOOGLE_SHORTCUT}' and trashed = false", FILE_FIELDS):
                details = meta.get("shortcutDetails") or {}
                if details.get("targetId") and details.get("targetMimeType") not in (GOOGLE_FOLDER, GOOGLE_SHORTCUT):
                    self._shortcuts.setdefault(details["targetId"], []).append(meta)
        return self._shortcuts

    def _shortcut_paths(self, target_id: str) -> list[str]:
        paths: list[str] = []
        for shortcut in self._shortcut_index().get(target_id, []):
            parents = self._scoped_parents(shortcut)
            if parents:
                paths.extend(self.resolver.file_paths(shortcut.get("name", ""), parents))
        return paths

    def _add_target(self, shortcut: dict[str, Any], out: dict[str, Change]) -> None:
        """A shortcut changed: its target's paths did. The target is reported again if it is a file."""
        target_id = (shortcut.get("shortcutDetails") or {}).get("targetId")
        if not target_id or target_id in out:
            return
        meta = get_file(self.client, target_id)
        if meta is not None and meta.get("mimeType") not in (GOOGLE_FOLDER, GOOGLE_SHORTCUT):
            out[target_id] = self._file_change(meta)

    # -- folder subtrees --------------------------------------------------------------------

    def _subtree_files(self, folders: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Files and shortcuts below the changed (live) folders, each folder listed once."""
        queue = [meta["id"] for meta in folders if not meta.get("trashed")]
        seen = set(queue)
        while queue:
            folder_id = queue.pop(0)
            for meta in self._list(f"{quote(folder_id)} in parents", FILE_FIELDS):
                if meta.get("mimeType") == GOOGLE_FOLDER:
                    self.resolver.add(meta)
                    if meta["id"] not in seen:
                        seen.add(meta["id"])
                        queue.append(meta["id"])
                else:
                    yield meta

    def _list(self, q: str, fields: str) -> Iterator[dict[str, Any]]:
        files = self.client.service.files()
        request = files.list(q=q, fields=f"nextPageToken, files({fields})", pageSize=self.page_size)
        while request is not None:
            response = self.client.execute(request, "listing files")
            yield from response.get("files") or []
            request = files.list_next(request, response)
