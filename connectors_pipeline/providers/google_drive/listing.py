"""The full listing behind `snapshot`: folders first (for paths), then shortcuts, then files.

Each file is yielded once with every path it is reachable through (several parents, shortcuts).
Shortcuts are listed before files so a target's shortcut paths are known when the target streams
past; targets the listing never reached (outside the scope, shared with the account) are fetched
at the end with files.get. Memory holds folder metadata, shortcut paths and seen ids, not files.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connectors_pipeline.domain.errors import NotFoundError
from connectors_pipeline.domain.file_types import GOOGLE_FOLDER, GOOGLE_SHORTCUT
from connectors_pipeline.domain.items import RemoteItem
from connectors_pipeline.providers.base import Scope
from connectors_pipeline.providers.google_drive.client import DriveClient
from connectors_pipeline.providers.google_drive.paths import (
    FILE_FIELDS,
    FOLDER_FIELDS,
    PathResolver,
    order_paths,
    to_item,
)

NOT_FOLDER_OR_SHORTCUT = f"mimeType != '{GOOGLE_FOLDER}' and mimeType != '{GOOGLE_SHORTCUT}'"


@dataclass
class ListingStats:
    """What a snapshot saw besides files; shortcuts are counted, never items themselves."""

    files: int = 0
    folders: int = 0
    shortcuts_merged: int = 0
    shortcuts_broken: int = 0  # target gone or not visible
    shortcuts_skipped: int = 0  # trashed shortcuts, shortcuts to folders or to other shortcuts


def quote(value: str) -> str:
    """A Drive query string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def get_file(client: DriveClient, file_id: str, fields: str = FILE_FIELDS) -> dict[str, Any] | None:
    """files.get, or None when the file is gone or not visible to the account."""
    request = client.service.files().get(fileId=file_id, fields=fields, supportsAllDrives=True)
    try:
        return client.execute(request, f"getting file {file_id}")
    except NotFoundError:
        return None


def root_folder_id(client: DriveClient) -> str | None:
    """The My Drive root's id (asked once per client: it never changes)."""
    if "root_id" not in client.cache:
        meta = get_file(client, "root", "id")
        client.cache["root_id"] = meta["id"] if meta else None
    return client.cache["root_id"]


class DriveLister:
    def __init__(self, client: DriveClient, scope: Scope, page_size: int):
        self.client = client
        self.scope = scope
        self.page_size = page_size
        self.stats = ListingStats()

    def _list(self, q: str, fields: str) -> Iterator[dict[str, Any]]:
        files = self.client.service.files()
        kwargs: dict[str, Any] = {
            "q": q,
            "fields": f"nextPageToken, files({fields})",
            "pageSize": self.page_size,
        }
        if self.scope.include_shared_drives:
            kwargs.update(corpora="allDrives", includeItemsFromAllDrives=True, supportsAllDrives=True)
        request = files.list(**kwargs)
        while request is not None:
            response = self.client.execute(request, "listing files")
            yield from response.get("files") or []
            request = files.list_next(request, response)

    def items(self) -> Iterator[RemoteItem]:
        root_id = root_folder_id(self.client)
        if self.scope.roots:
            resolver = PathResolver(root_id, fetch=lambda fid: get_file(self.client, fid, FOLDER_FIELDS))
            in_scope, root_files = self._walk_roots(resolver)
        else:
            resolver = PathResolver(root_id)
            for meta in self._list(f"mimeType = '{GOOGLE_FOLDER}'", FOLDER_FIELDS):
                resolver.add(meta)
                self.stats.folders += 1
            in_scope, root_files = None, []
        shortcut_paths = self._shortcut_paths(resolver, in_scope)
        seen: set[str] = set()
        root_file_ids = {meta["id"] for meta in root_files}
        for meta in itertools.chain(root_files, self._files(in_scope)):
            if meta["id"] in seen:
                continue
            seen.add(meta["id"])
            parents = tuple(meta.get("parents") or ())
            if in_scope is not None and meta["id"] not in root_file_ids:
                # a file also filed in folders outside the scope is only reported at its in-scope paths
                parents = tuple(p for p in parents if p in in_scope)
            own_paths = resolver.file_paths(meta.get("name", ""), parents)
            extra = shortcut_paths.pop(meta["id"], [])
            self.stats.shortcuts_merged += len(extra)
            self.stats.files += 1
            yield to_item(meta, order_paths(own_paths, extra))
        yield from self._unlisted_targets(shortcut_paths)

    def _files(self, in_scope: set[str] | None) -> Iterator[dict[str, Any]]:
        if in_scope is None:
            yield from self._list(NOT_FOLDER_OR_SHORTCUT, FILE_FIELDS)
            return
        for folder_id in sorted(in_scope):
            yield from self._list(f"{quote(folder_id)} in parents and {NOT_FOLDER_OR_SHORTCUT}", FILE_FIELDS)

    def _walk_roots(self, resolver: PathResolver) -> tuple[set[str], list[dict[str, Any]]]:
        """Breadth-first over the root folders; returns the folder ids in scope and roots that are files."""
        in_scope: set[str] = set()
        root_files: list[dict[str, Any]] = []
        queue: list[str] = []
        for root in self.scope.roots:
            meta = get_file(self.client, root)
            if meta is None:
                raise NotFoundError(f"scope root {root} is gone or no longer shared with the account")
            if meta.get("mimeType") == GOOGLE_FOLDER:
                resolver.add(meta)
                in_scope.add(meta["id"])
                queue.append(meta["id"])
            elif meta.get("mimeType") != GOOGLE_SHORTCUT:
                root_files.append(meta)
        while queue:
            folder_id = queue.pop(0)
            query = f"{quote(folder_id)} in parents and mimeType = '{GOOGLE_FOLDER}'"
            for meta in self._list(query, FOLDER_FIELDS):
                resolver.add(meta)
                self.stats.folders += 1
                if self.scope.recursive and meta["id"] not in in_scope:
                    in_scope.add(meta["id"])
                    queue.append(meta["id"])
        return in_scope, root_files

    def _shortcut_paths(self, resolver: PathResolver, in_scope: set[str] | None) -> dict[str, list[str]]:
        """targetId -> the paths of the (live, in-scope) shortcuts pointing at it."""
        paths: dict[str, list[str]] = {}
        for meta in self._list(f"mimeType = '{GOOGLE_SHORTCUT}'", FILE_FIELDS):
            details = meta.get("shortcutDetails") or {}
            target = details.get("targetId")
            parents = tuple(meta.get("parents") or ())
            if in_scope is not None:
                parents = tuple(p for p in parents if p in in_scope)
                if not parents:
                    continue
            if not target or meta.get("trashed") or details.get("targetMimeType") in (GOOGLE_FOLDER, GOOGLE_SHORTCUT):
                self.stats.shortcuts_skipped += 1
                continue
            paths.setdefault(target, []).extend(resolver.file_paths(meta.get("name", ""), parents))
        return paths

    def _unlisted_targets(self, shortcut_paths: dict[str, list[str]]) -> Iterator[RemoteItem]:
        for target_id, paths in sorted(shortcut_paths.items()):
            meta = get_file(self.client, target_id)
            if meta is None:
                self.stats.shortcuts_broken += len(paths)
                continue
            if meta.get("mimeType") in (GOOGLE_FOLDER, GOOGLE_SHORTCUT):
                self.stats.shortcuts_skipped += len(paths)
                continue
            self.stats.shortcuts_merged += len(paths)
            self.stats.files += 1
            yield to_item(meta, order_paths([], paths))
