"""One user's emulated My Drive: the account, its people, and the mutations tests and seeding make.

Files may be owned by the account's user or by someone else who shared them (`owner_email`); only
the latter can become invisible to the user (`revoke_access`). Every mutation is logged as a change
(drive_changes), which keeps the indexes and caches below it (drive_index) valid.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors_pipeline.sandbox.drive_changes import DriveChangeLog
from connectors_pipeline.sandbox.drive_file import FOLDER_MIME, NATIVE_PREFIX, SHORTCUT_MIME, DriveFile, render_resource

if TYPE_CHECKING:
    from connectors_pipeline.sandbox.corpus import NativeDocument


def identity_of(email: str) -> tuple[str, str]:
    """(displayName, permissionId) of a person, derived from the e-mail alone (stable across sandboxes)."""
    permission_id = str(int(hashlib.sha256(email.lower().encode()).hexdigest(), 16))[:20]
    return email.split("@")[0].replace(".", " ").title(), permission_id


class DriveAccount(DriveChangeLog):
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
        identity: Callable[[str], tuple[str, str]] = identity_of,
    ) -> None:
        created = now()
        root = DriveFile(new_id(), "My Drive", FOLDER_MIME, None, created, created)
        super().__init__(email=email, lock=lock, root=root)
        self.display_name = display_name
        self.permission_id = permission_id
        self._new_id = new_id
        self._now = now
        self._identity = identity
        self._created = 0  # files ever created here, for DriveFile.rank

    # ----------------------------------------------------------------- mutations
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

    def _owner_of(self, owner_email: str | None) -> str | None:
        if owner_email is None or owner_email.lower() == self.email.lower():
            return None
        if "@" not in owner_email:
            raise ValueError(f"owner_email {owner_email!r} is not an e-mail address")
        return owner_email

    def create_folder(self, name: str, parent_id: str | None = None, owner_email: str | None = None) -> str:
        """A folder; `owner_email` makes it someone else's folder shared with this user (see create_file)."""
        return self.create_file(name, parent_id, FOLDER_MIME, owner_email=owner_email)

    def create_file(
        self,
        name: str,
        parent_id: str | None,
        mime_type: str,
        content: bytes | None = None,
        native: NativeDocument | None = None,
        owner_email: str | None = None,
    ) -> str:
        """A new file in `parent_id` (None: My Drive root); returns its id.

        `owner_email` None (or the account's own e-mail) means the user owns it. Any other address
        makes it a file that person owns and shared with the user, who has it in their tree at
        `parent_id`: `ownedByMe` false, that person in `owners`, and it can be unshared with
        `revoke_access`.
        """
        with self._lock:
            parent = self._parent(parent_id)
            owner = self._owner_of(owner_email)
            when = self._now()
            f = DriveFile(
                self._new_id(),
                name,
                mime_type,
                parent,
                when,
                when,
                content=content,
                native=native,
                owner_email=owner,
            )
            if content is None and not mime_type.startswith(NATIVE_PREFIX):
                f.content = b""  # an uploaded blob always has bytes, possibly none
            if f.content is not None:
                f.head_revision = self._new_id()
            self._created += 1
            f.rank = self._created
            self.files[f.id] = f
            self._children.setdefault(parent, {})[f.id] = None
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
            parent = self._parent(new_parent_id)
            cur: str | None = parent
            while cur is not None:  # Drive refuses to put a folder inside itself
                if cur == f.id:
                    raise ValueError(f"cannot move {f.id} into its own subtree")
                cur = self.files[cur].parent_id
            if f.parent_id is not None:
                self._children.get(f.parent_id, {}).pop(f.id, None)
            f.parent_id = parent
            self._children.setdefault(parent, {})[f.id] = None
            self._touch(f)

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
            top = self._get(file_id)
            if top.parent_id is not None:
                self._children.get(top.parent_id, {}).pop(top.id, None)
            for g in self._subtree(top.id):
                del self.files[g.id]
                self._children.pop(g.id, None)
                self._log(g.id, when)

    def revoke_access(self, file_id: str) -> None:
        """The owner unshared a file (or folder) with this user: it still exists, but not for them.

        Only for someone else's file (created with `owner_email`): raises ValueError for a file the
        user owns, since an owner never loses access to their own file. The file and, for a folder,
        the other people's files below it become invisible (files.get 404, absent from files.list,
        `removed: true` in changes.list). Files the user owns below a revoked folder stay visible,
        without parents (orphaned), as in Drive.
        """
        with self._lock:
            f = self._get(file_id)
            if f.owned_by_me:
                raise ValueError(
                    f"{f.id} ({f.name!r}) is owned by {self.email}, who cannot lose access to their own file; "
                    "create it with owner_email=... to model a file someone else shared with this user"
                )
            f.access_revoked = True
            when = self._now()
            for g in self._subtree(f.id):
                self._log(g.id, when)

    # ------------------------------------------------------------------- people
    def owner(self) -> dict[str, Any]:
        return {
            "kind": "drive#user",
            "displayName": self.display_name,
            "emailAddress": self.email,
            "permissionId": self.permission_id,
            "me": True,
        }

    def person(self, email: str | None) -> dict[str, Any]:
        """A drive#user: this account's user for None, else someone else (identity from the e-mail)."""
        if email is None:
            return self.owner()
        display_name, permission_id = self._identity(email)
        return {
            "kind": "drive#user",
            "displayName": display_name,
            "emailAddress": email,
            "permissionId": permission_id,
            "me": False,
        }

    def resource(self, f: DriveFile, export_links: dict[str, str] | None = None) -> dict[str, Any]:
        """The complete Drive v3 File resource (what `fields=*` returns)."""
        return render_resource(f, self.person(f.owner_email), self.status(f), export_links)
