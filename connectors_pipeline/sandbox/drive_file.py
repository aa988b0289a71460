"""One emulated Drive file: its mutable server-side record and the Drive v3 File resource it renders to."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from connectors_pipeline.sandbox.corpus import NativeDocument

FOLDER_MIME = "application/vnd.google-apps.folder"
SHORTCUT_MIME = "application/vnd.google-apps.shortcut"
NATIVE_PREFIX = "application/vnd.google-apps."


def rfc3339(when: datetime) -> str:
    """Drive's timestamp format: UTC, milliseconds, `Z` (isoformat: strftime is slow at listing scale)."""
    if when.tzinfo is not None and when.utcoffset():
        when = when.astimezone(UTC)
    return when.isoformat(timespec="milliseconds")[:23] + "Z"


@dataclass
class DriveFile:
    """Mutable server-side record of one file; `render_resource()` renders what the API shows."""

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
    owner_email: str | None = None  # None: the account's own user owns it; else who shared it with them
    rank: int = field(default=0, compare=False)  # creation order in its drive (files.list's default order)
    # Checksums of `content`, remembered with the bytes object they were computed from.
    _digest_source: bytes | None = field(default=None, init=False, repr=False, compare=False)
    _digests: tuple[str, str, str] = field(default=("", "", ""), init=False, repr=False, compare=False)
    # (createdTime, modifiedTime) as rendered, remembered with the datetimes they were rendered from.
    _stamp_source: tuple[datetime, datetime] | None = field(default=None, init=False, repr=False, compare=False)
    _stamps: tuple[str, str] = field(default=("", ""), init=False, repr=False, compare=False)

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER_MIME

    @property
    def owned_by_me(self) -> bool:
        return self.owner_email is None

    def digests(self) -> tuple[str, str, str]:
        """(md5, sha1, sha256) hex of the content, computed once per content."""
        data = self.content
        if data is None:
            return ("", "", "")
        if self._digest_source is not data:
            self._digests = (
                hashlib.md5(data).hexdigest(),
                hashlib.sha1(data).hexdigest(),
                hashlib.sha256(data).hexdigest(),
            )
            self._digest_source = data
        return self._digests

    def stamps(self) -> tuple[str, str]:
        """(createdTime, modifiedTime) in RFC 3339, rendered once per change of either."""
        source = self._stamp_source
        if source is None or source[0] is not self.created or source[1] is not self.modified:
            self._stamps = (rfc3339(self.created), rfc3339(self.modified))
            self._stamp_source = (self.created, self.modified)
        return self._stamps


class Status(NamedTuple):
    """How a file looks to the account's user, given its ancestors."""

    hidden: bool  # not visible: someone else's file that was unshared (itself or through a folder)
    trashed: bool  # explicitly or through a visible ancestor
    parent_shown: bool  # its parent is visible; False for the root and for orphans


def render_resource(
    f: DriveFile, owner: dict[str, Any], status: Status, export_links: dict[str, str] | None = None
) -> dict[str, Any]:
    """The complete Drive v3 File resource (what `fields=*` returns); `owner` is the owner's drive#user."""
    native = f.mime_type.startswith(NATIVE_PREFIX)
    blob = f.content is not None and not native
    mine = f.owned_by_me
    created, modified = f.stamps()
    res: dict[str, Any] = {
        "kind": "drive#file",
        "id": f.id,
        "name": f.name,
        "mimeType": f.mime_type,
        "starred": f.starred,
        "trashed": status.trashed,
        "explicitlyTrashed": f.explicitly_trashed,
        "spaces": ["drive"],
        "version": str(f.version),
        "webViewLink": _web_view_link(f),
        "iconLink": f"https://drive-thirdparty.googleusercontent.com/16/type/{f.mime_type}",
        "viewedByMe": True,
        "createdTime": created,
        "modifiedTime": modified,
        "modifiedByMe": mine,
        "owners": [owner],
        "lastModifyingUser": owner,  # the sandbox does not record who edited; the owner did
        "shared": not mine,
        "ownedByMe": mine,
        "viewersCanCopyContent": True,
        "copyRequiresWriterPermission": False,
        "writersCanShare": True,
        "capabilities": {
            "canDownload": not f.is_folder,
            "canListChildren": f.is_folder,
            "canEdit": True,
            "canTrash": mine,  # in My Drive only the owner trashes or deletes
            "canDelete": mine,
            "canRename": True,
        },
        "quotaBytesUsed": str(len(f.content)) if blob and f.content is not None else "0",
        "isAppAuthorized": False,
    }
    if mine:
        res["modifiedByMeTime"] = modified
    else:
        res["sharedWithMeTime"] = created
        res["sharingUser"] = owner
    if f.parent_id and status.parent_shown:  # none for the root and for orphans
        res["parents"] = [f.parent_id]
    if blob and f.content is not None:
        md5, sha1, sha256 = f.digests()
        res["size"] = str(len(f.content))
        res["md5Checksum"] = md5
        res["sha1Checksum"] = sha1
        res["sha256Checksum"] = sha256
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
