"""Folder metadata and the paths ("/Projects/Alpha/report.pdf") of files, built from `parents`.

Folders are not items; we only keep their names and parents in memory (small even for large
drives) so that files streaming past can be given every path they are reachable through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors_pipeline.domain.file_types import GOOGLE_FOLDER
from connectors_pipeline.domain.items import RemoteItem

PROVIDER_NAME = "google_drive"
FILE_FIELDS = (
    "id,name,mimeType,parents,size,md5Checksum,modifiedTime,version,headRevisionId,trashed,webViewLink,shortcutDetails,"
    "ownedByMe"
)
FOLDER_FIELDS = "id,name,mimeType,parents,trashed"
MAX_DEPTH = 64  # guards against parent cycles, which Drive should never produce


@dataclass(frozen=True)
class Folder:
    id: str
    name: str
    parents: tuple[str, ...]


def folder_from(meta: dict[str, Any]) -> Folder:
    return Folder(meta["id"], meta.get("name") or meta["id"], tuple(meta.get("parents") or ()))


def without_nul(name: str) -> str:
    """Drive names may hold NUL, which no PostgreSQL text column can store; U+FFFD marks where it was."""
    return name.replace("\x00", "\ufffd")


def clean_name(name: str) -> str:
    """A path segment: '/' inside a Drive name would otherwise invent a folder level."""
    return without_nul(name or "").replace("/", "\u2215").strip() or "untitled"


class PathResolver:
    """Absolute paths of folders, from a folder map filled by listing or fetched on demand.

    `fetch` (optional) is asked for a folder that is not in the map; None means it is not visible,
    and the folder is treated as a top-level location. `root_id` is the My Drive root, whose own
    name ("My Drive") never appears in paths.
    """

    def __init__(
        self,
        root_id: str | None = None,
        fetch: Callable[[str], dict[str, Any] | None] | None = None,
        root_lookup: Callable[[], str | None] | None = None,
    ):
        self._root_id = root_id
        self._root_lookup = root_lookup
        self._fetch = fetch
        self._folders: dict[str, Folder | None] = {}
        self._memo: dict[str, tuple[str, ...]] = {}

    @property
    def root_id(self) -> str | None:
        if self._root_lookup is not None:
            self._root_id, self._root_lookup = self._root_lookup(), None
        return self._root_id

    def add(self, meta: dict[str, Any]) -> None:
        if meta.get("id") and meta["id"] != self.root_id:
            self._folders[meta["id"]] = folder_from(meta)

    def folder(self, folder_id: str) -> Folder | None:
        if folder_id == self.root_id:
            return None
        if folder_id not in self._folders:
            meta = self._fetch(folder_id) if self._fetch is not None else None
            is_folder = meta is not None and meta.get("mimeType", GOOGLE_FOLDER) == GOOGLE_FOLDER
            self._folders[folder_id] = folder_from(meta) if is_folder else None
        return self._folders[folder_id]

    def folder_paths(self, folder_id: str, depth: int = 0) -> tuple[str, ...]:
        """Every absolute path of a folder ("" for the top level: My Drive or an unseen parent)."""
        if folder_id in self._memo:
            return self._memo[folder_id]
        folder = self.folder(folder_id)
        if folder is None or depth > MAX_DEPTH:
            return ("",)
        parents = folder.parents or ("",)
        paths = tuple(
            f"{base}/{clean_name(folder.name)}"
            for parent in parents
            for base in (self.folder_paths(parent, depth + 1) if parent else ("",))
        )
        self._memo[folder_id] = paths
        return paths

    def ancestors(self, folder_id: str) -> set[str]:
        """The folder and every folder above it."""
        seen: set[str] = set()
        stack = [folder_id]
        while stack and len(seen) < 10_000:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            folder = self.folder(current)
            if folder is not None:
                stack.extend(folder.parents)
        return seen

    def file_paths(self, name: str, parents: tuple[str, ...]) -> list[str]:
        segment = clean_name(name)
        if not parents:
            return [f"/{segment}"]
        return [f"{base}/{segment}" for parent in parents for base in self.folder_paths(parent)]


def order_paths(primary: list[str], extra: list[str]) -> tuple[str, ...]:
    """Primary (own location) first, then the rest sorted; no duplicates."""
    first = primary[0] if primary else (sorted(extra)[0] if extra else None)
    if first is None:
        return ()
    rest = sorted({*primary, *extra} - {first})
    return (first, *rest)


def parse_time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def to_item(meta: dict[str, Any], paths: tuple[str, ...]) -> RemoteItem:
    size = meta.get("size")
    return RemoteItem(
        provider=PROVIDER_NAME,
        external_id=meta["id"],
        name=without_nul(meta.get("name") or meta["id"]),
        mime_type=meta.get("mimeType") or "application/octet-stream",
        paths=paths,
        size=int(size)
        if size not in (None, "") and not meta.get("mimeType", "").startswith("application/vnd.google-apps.")
        else None,
        modified_time=parse_time(meta.get("modifiedTime")),
        version=str(meta["version"]) if meta.get("version") is not None else None,
        md5=meta.get("md5Checksum"),
        parents=tuple(meta.get("parents") or ()),
        trashed=bool(meta.get("trashed", False)),
        web_url=meta.get("webViewLink"),
        owned_by_account=bool(meta.get("ownedByMe", True)),
    )
