"""A drive's files as its user sees them: the children index and the per-generation caches behind files.list.

Only someone else's file (`owner_email`) can become invisible to the user. Visibility and trash state are
inherited from ancestors, so they are memoised per generation, as are files.list results; the generation
moves with every logged change (see drive_changes), so caches never outlive a mutation made through methods.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from connectors_pipeline.sandbox.drive_file import DriveFile, Status
from connectors_pipeline.sandbox.drive_query import QueryRecord, confining_parent

_VIEW_CACHE_SIZE = 8  # files.list results kept per drive (one per distinct q/orderBy being paged)


class DriveIndex:
    """The files of one user's drive and what answers questions about them; methods take the shared lock."""

    def __init__(self, *, email: str, lock: threading.RLock, root: DriveFile) -> None:
        self.email = email
        self._lock = lock
        self.root_id = root.id
        self.files: dict[str, DriveFile] = {root.id: root}
        self._children: dict[str, dict[str, None]] = {}  # folder id -> child ids (insertion-ordered set)
        self._generation = 0  # moves with every logged change; caches below are valid for one generation
        self._status_memo: dict[str, Status] = {}
        self._status_generation = -1
        self._views: dict[str, tuple[int, list[DriveFile]]] = {}

    def _subtree(self, file_id: str) -> list[DriveFile]:
        """The file and everything below it, breadth first (a folder's state is inherited by its descendants)."""
        out = [self.files[file_id]]
        i = 0
        while i < len(out):
            out.extend(self.files[c] for c in self._children.get(out[i].id, ()))
            i += 1
        return out

    def status(self, f: DriveFile) -> Status:
        """Visibility and trash state of `f`, memoised per generation (linear over a whole listing)."""
        with self._lock:
            if self._status_generation != self._generation:
                self._status_memo.clear()
                self._status_generation = self._generation
            memo = self._status_memo
            hit = memo.get(f.id)
            if hit is not None:
                return hit
            chain: list[DriveFile] = []
            seen: set[str] = set()
            cur: DriveFile | None = f
            while cur is not None and cur.id not in memo and cur.id not in seen:
                seen.add(cur.id)
                chain.append(cur)
                cur = self.files.get(cur.parent_id) if cur.parent_id else None
            above = memo.get(cur.id) if cur is not None else None
            for g in reversed(chain):
                above = memo[g.id] = _status_below(g, above)
            return memo[f.id]

    def is_trashed(self, f: DriveFile) -> bool:
        return self.status(f).trashed

    def is_visible(self, f: DriveFile) -> bool:
        return not self.status(f).hidden

    def lookup(self, file_id: str) -> DriveFile | None:
        """The file if this user can see it (root alias allowed), else None (Drive says 404)."""
        with self._lock:
            f = self.files.get(self.root_id if file_id == "root" else file_id)
            return f if f is not None and self.is_visible(f) else None

    def visible_files(self) -> list[DriveFile]:
        """Everything files.list can return: all visible files except the My Drive root itself."""
        with self._lock:
            return [f for f in self.files.values() if f.id != self.root_id and not self.status(f).hidden]

    def matching_files(
        self,
        key: str,
        predicate: Callable[[QueryRecord], bool] | None = None,
        order: Callable[[list[DriveFile]], list[DriveFile]] | None = None,
    ) -> list[DriveFile]:
        """Visible files matching `predicate`, in `order` (creation order by default).

        `key` names the query (q, orderBy, ...): the result is reused while the drive is unchanged,
        so paging through a large listing costs one evaluation, not one per page. Do not mutate it.
        """
        with self._lock:
            hit = self._views.get(key)
            if hit is not None and hit[0] == self._generation:
                return hit[1]
            parent = confining_parent(predicate) if predicate is not None else None
            if parent is not None:  # `'F' in parents and ...`: only F's children can match
                children = self._children.get(self.root_id if parent == "root" else parent, {})
                candidates = sorted((self.files[c] for c in children), key=lambda f: f.rank)
                files = [f for f in candidates if not self.status(f).hidden]
            else:
                files = self.visible_files()
            if predicate is not None:
                files = [f for f in files if predicate(self.query_record(f))]
            if order is not None:
                files = order(files)
            self._views.pop(key, None)
            self._views[key] = (self._generation, files)
            while len(self._views) > _VIEW_CACHE_SIZE:
                del self._views[next(iter(self._views))]
            return files

    def query_record(self, f: DriveFile) -> QueryRecord:
        status = self.status(f)
        parents: tuple[str, ...] = (f.parent_id,) if f.parent_id and status.parent_shown else ()
        if parents and f.parent_id == self.root_id:
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
            trashed=status.trashed,
            created=f.created,
            modified=f.modified,
            starred=f.starred,
            owners=(f.owner_email or self.email,),
            readers=() if f.owned_by_me else (self.email,),
            text_loader=text,
            shortcut_target=f.shortcut_target,
            shared_with_me=not f.owned_by_me,
            properties=f.properties,
        )


def _status_below(f: DriveFile, parent: Status | None) -> Status:
    """`f`'s status from its parent's (None: no parent). Only other people's files can be hidden."""
    foreign = not f.owned_by_me
    if parent is None:
        return Status(foreign and f.access_revoked, f.explicitly_trashed, False)
    hidden = foreign and (f.access_revoked or parent.hidden)
    if parent.hidden:  # an orphan (the user's own file in a folder they lost) or hidden itself
        return Status(hidden, f.explicitly_trashed, False)
    return Status(hidden, f.explicitly_trashed or parent.trashed, True)
