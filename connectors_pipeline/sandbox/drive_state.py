"""One user's emulated My Drive: files, folders, shortcuts, their Drive-shaped metadata and change log."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors_pipeline.sandbox.drive_query import QueryRecord

if TYPE_CHECKING:
    from connectors_pipeline.sandbox.corpus import NativeDocument

FOLDER_MIME = "application/vnd.google-apps.folder"
SHORTCUT_MIME = "application/vnd.google-apps.shortcut"
NATIVE_PREFIX = "application/vnd.google-apps."


def rfc3339(when: datetime) -> str:
    """Drive's timestamp format: UTC, milliseconds, `Z`."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass
class DriveFile:
    """Mutable server-side record of one file; `resource()` renders what the API shows."""

    id: str
    name: str
    mime_type: str
    parent_id: str | None
    created: datetime
    modified: datetime
    content: bytes | None = None
    native: NativeDocument | None = None
    shortcut_target: str | None = None
    shortcut_target_mime: str | None = None
    version: int = 1
    head_revision: str | None = None
    explicitly_trashed: bool = False
    access_revoked: bool = False
    starred: bool = False
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME


@dataclass(frozen=True)
class ChangeEntry:
    seq: int
    file_id: str
    time: datetime


class DriveAccount:
    """A user's drive. All methods take the owning SandboxState's lock, so tests may mutate while serving."""

    def __init__(
        self,
        *,
        email: str,
        display_name: str,
        permission_id: str,
        lock: threading.RLock,
        new_id: Callable[[], str],
        now: Callable[[], datetime],
    ) -> None:
        self.email = email
        self.display_name = display_name
        self.permission_id = permission_id
        self._lock = lock
        self._new_id = new_id
        self._now = now
        self.files: dict[str, DriveFile] = {}
        self.changes: list[ChangeEntry] = []
        created = now()
        self.root_id = new_id()
        self.files[self.root_id] = DriveFile(self.root_id, "My Drive", FOLDER_MIME, None, created, created)

    # ----------------------------------------------------------------- mutations
    def _log(self, file_id: str, when: datetime) -> None:
        self.changes.append(ChangeEntry(len(self.changes) + 1, file_id, when))

    def _touch(self, f: DriveFile, *, content_changed: bool = False) -> None:
        f.modified = self._now()
        f.version += 1
        if content_changed and f.content is not None:
            f.head_revision = self._new_id()
        self._log(f.id, f.modified)

    def _get(self, file_id: str) -> DriveFile:
        file_id = self.root_id if file_id == "root" else file_id
        if file_id not in self.files:
            raise KeyError(file_id)
        return self.files[file_id]

    def _parent(self, parent_id: str | None) -> str:
        parent = self._get(parent_id or self.root_id)
        if not parent.is_folder:
            raise ValueError(f"parent {parent.id} is not a folder")
        return parent.id

    def create_folder(self, name: str, parent_id: str | None = None) -> str:
        return self.create_file(name, parent_id, FOLDER_MIME)

    def create_file(
        self,
        name: str,
        parent_id: str | None,
        mime_type: str,
        content: bytes | None = None,
        native: NativeDocument | None = None,
    ) -> str:
        with self._lock:
            parent = self._parent(parent_id)
            when = self._now()
            f = DriveFile(self._new_id(), name, mime_type, parent, when, when, content=content, native=native)
            if content is None and not mime_type.startswith(NATIVE_PREFIX):
                f.content = b""  # an uploaded blob always has bytes, possibly none
            if f.content is not None:
                f.head_revision = self._new_id()
            self.files[f.id] = f
            self._log(f.id, when)
            return f.id

    def add_shortcut(self, name: str, parent_id: str | None, target_id: str) -> str:
        with self._lock:
            target = self._get(target_id)
            fid = self.create_file(name, parent_id, SHORTCUT_MIME)
            f = self.files[fid]
            f.shortcut_target, f.shortcut_target_mime = target.id, target.mime_type
            return fid

    def update_content(self, file_id: str, content: bytes | None = None, native: NativeDocument | None = None) -> None:
        with self._lock:
            f = self._get(file_id)
            if content is not None:
                f.content = content
            if native is not None:
                f.native = native
            self._touch(f, content_changed=True)

    def rename(self, file_id: str, name: str) -> None:
        with self._lock:
            f = self._get(file_id)
            f.name = name
            self._touch(f)

    def move(self, file_id: str, new_parent_id: str) -> None:
        with self._lock:
            f = self._get(file_id)
            f.parent_id = self._parent(new_parent_id)
            self._touch(f)

    def _subtree(self, file_id: str) -> list[DriveFile]:
        """The file and everything below it (a folder's state is inherited by its descendants)."""
        out = [self.files[file_id]]
        children: dict[str, list[DriveFile]] = {}
        for f in self.files.values():
            if f.parent_id:
                children.setdefault(f.parent_id, []).append(f)
        i = 0
        while i < len(out):
            out.extend(children.get(out[i].id, ()))
            i += 1
        return out

    def _set_trashed(self, file_id: str, trashed: bool) -> None:
        with self._lock:
            f = self._get(file_id)
            f.explicitly_trashed = trashed
            when = self._now()
            for g in self._subtree(f.id):
                g.version += 1
                if g is f:
                    g.modified = when  # Drive does not bump descendants' modifiedTime
                self._log(g.id, when)

    def trash(self, file_id: str) -> None:
        self._set_trashed(file_id, True)

    def untrash(self, file_id: str) -> None:
        self._set_trashed(file_id, False)

    def delete(self, file_id: str) -> None:
        """Permanent deletion of the file and, for a folder, everything below it."""
        with self._lock:
            when = self._now()
            for g in self._subtree(self._get(file_id).id):
                del self.files[g.id]
                self._log(g.id, when)

    def revoke_access(self, file_id: str) -> None:
        """The file still exists for its owner but this user can no longer see it (unshared)."""
        with self._lock:
            f = self._get(file_id)
            f.access_revoked = True
            when = self._now()
            for g in self._subtree(f.id):
                self._log(g.id, when)

    def set_starred(self, file_id: str, starred: bool = True) -> None:
        with self._lock:
            f = self._get(file_id)
            f.starred = starred
            self._touch(f)

    # ------------------------------------------------------------------- queries
    def _ancestors(self, f: DriveFile) -> Iterator[DriveFile]:
        seen: set[str] = set()
        cur = f
        while cur.parent_id and cur.parent_id in self.files and cur.parent_id not in seen:
            seen.add(cur.parent_id)
            cur = self.files[cur.parent_id]
            yield cur

    def is_trashed(self, f: DriveFile) -> bool:
        return f.explicitly_trashed or any(a.explicitly_trashed for a in self._ancestors(f))

    def is_visible(self, f: DriveFile) -> bool:
        return not f.access_revoked and not any(a.access_revoked for a in self._ancestors(f))

    def lookup(self, file_id: str) -> DriveFile | None:
        """The file if this user can see it (root alias allowed), else None (Drive says 404)."""
        with self._lock:
            f = self.files.get(self.root_id if file_id == "root" else file_id)
            return f if f is not None and self.is_visible(f) else None

    def visible_files(self) -> list[DriveFile]:
        """Everything files.list can return: all visible files except the My Drive root itself."""
        with self._lock:
            return [f for f in self.files.values() if f.id != self.root_id and self.is_visible(f)]

    def query_record(self, f: DriveFile) -> QueryRecord:
        parents: tuple[str, ...] = (f.parent_id,) if f.parent_id else ()
        if f.parent_id == self.root_id:
            parents += ("root",)
        native, content, mime = f.native, f.content, f.mime_type

        def text() -> str:
            if native is not None:
                return "\n".join([native.markdown, *native.slides])
            if content is not None and mime.startswith("text/") and len(content) < 1_000_000:
                return content.decode("utf-8", "replace")
            return ""

        return QueryRecord(
            name=f.name,
            mime_type=f.mime_type,
            parents=parents,
            trashed=self.is_trashed(f),
            created=f.created,
            modified=f.modified,
            starred=f.starred,
            owners=(self.email,),
            text_loader=text,
            shortcut_target=f.shortcut_target,
            properties=f.properties,
        )

    # ------------------------------------------------------------------- changes
    def start_page_token(self) -> str:
        """The position of the next change: listing from it returns only later changes."""
        with self._lock:
            return str(len(self.changes) + 1)

    def changes_page(
        self, token: str, page_size: int, include_removed: bool = True
    ) -> tuple[list[tuple[ChangeEntry, DriveFile | None]], str | None, str | None]:
        """Changes after `token`, one per file at its latest state: (entries, nextPageToken, newStartToken).

        Raises ValueError for a token this drive never issued. An entry's file is None when the file
        is gone for this user (deleted or access revoked), which Drive reports as `removed: true`.
        """
        with self._lock:
            if not token.isdigit() or not 1 <= int(token) <= len(self.changes) + 1:
                raise ValueError(token)
            latest: dict[str, ChangeEntry] = {}
            for entry in self.changes[int(token) - 1 :]:
                latest.pop(entry.file_id, None)  # re-insert so dict order follows the latest change
                latest[entry.file_id] = entry
            out: list[tuple[ChangeEntry, DriveFile | None]] = []
            last_seq = int(token) - 1
            for entry in latest.values():
                f = self.files.get(entry.file_id)
                visible = f is not None and self.is_visible(f)
                if len(out) >= page_size:
                    # Everything after last_seq is still to come, so the next page starts there.
                    return out, str(last_seq + 1), None
                last_seq = entry.seq
                if not visible and not include_removed:
                    continue
                out.append((entry, f if visible else None))
            return out, None, str(len(self.changes) + 1)

    def owner(self) -> dict[str, Any]:
        return {
            "kind": "drive#user",
            "displayName": self.display_name,
            "emailAddress": self.email,
            "permissionId": self.permission_id,
            "me": True,
        }

    def resource(self, f: DriveFile, export_links: dict[str, str] | None = None) -> dict[str, Any]:
        """The complete Drive v3 File resource (what `fields=*` returns)."""
        native = f.mime_type.startswith(NATIVE_PREFIX)
        blob = f.content is not None and not native
        res: dict[str, Any] = {
            "kind": "drive#file",
            "id": f.id,
            "name": f.name,
            "mimeType": f.mime_type,
            "starred": f.starred,
            "trashed": self.is_trashed(f),
            "explicitlyTrashed": f.explicitly_trashed,
            "spaces": ["drive"],
            "version": str(f.version),
            "webViewLink": _web_view_link(f),
            "iconLink": f"https://drive-thirdparty.googleusercontent.com/16/type/{f.mime_type}",
            "viewedByMe": True,
            "createdTime": rfc3339(f.created),
            "modifiedTime": rfc3339(f.modified),
            "modifiedByMeTime": rfc3339(f.modified),
            "modifiedByMe": True,
            "owners": [self.owner()],
            "lastModifyingUser": self.owner(),
            "shared": False,
            "ownedByMe": True,
            "viewersCanCopyContent": True,
            "copyRequiresWriterPermission": False,
            "writersCanShare": True,
            "capabilities": {
                "canDownload": not f.is_folder,
                "canListChildren": f.is_folder,
                "canEdit": True,
                "canTrash": True,
                "canDelete": True,
                "canRename": True,
            },
            "quotaBytesUsed": str(len(f.content)) if blob and f.content is not None else "0",
            "isAppAuthorized": False,
        }
        if f.parent_id:
            res["parents"] = [f.parent_id]
        if blob and f.content is not None:
            res["size"] = str(len(f.content))
            res["md5Checksum"] = hashlib.md5(f.content).hexdigest()
            res["sha1Checksum"] = hashlib.sha1(f.content).hexdigest()
            res["sha256Checksum"] = hashlib.sha256(f.content).hexdigest()
            res["headRevisionId"] = f.head_revision
            res["originalFilename"] = f.name
            res["webContentLink"] = f"https://drive.google.com/uc?id={f.id}&export=download"
            if "." in f.name.strip(".") and not f.name.startswith("."):
                res["fullFileExtension"] = f.name.split(".", 1)[1]
                res["fileExtension"] = f.name.rsplit(".", 1)[1]
        if f.shortcut_target:
            res["shortcutDetails"] = {"targetId": f.shortcut_target, "targetMimeType": f.shortcut_target_mime}
        if export_links:
            res["exportLinks"] = export_links
        if f.properties:
            res["properties"] = dict(f.properties)
        return res


def _web_view_link(f: DriveFile) -> str:
    if f.is_folder:
        return f"https://drive.google.com/drive/folders/{f.id}"
    kinds = {"document": "document", "spreadsheet": "spreadsheets", "presentation": "presentation"}
    if f.mime_type.startswith(NATIVE_PREFIX):
        kind = f.mime_type[len(NATIVE_PREFIX) :]
        if kind in kinds:
            return f"https://docs.google.com/{kinds[kind]}/d/{f.id}/edit?usp=drivesdk"
        if kind == "drawing":
            return f"https://docs.google.com/drawings/d/{f.id}/edit?usp=drivesdk"
    return f"https://drive.google.com/file/d/{f.id}/view?usp=drivesdk"
