"""A drive's change log, read by changes.list: one entry per change, served at each file's latest state.

Page tokens are log positions. A per-file "latest change" index lets a page skip superseded entries
without looking ahead, so reading the log from a token costs only the entries up to a full page.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from connectors_pipeline.sandbox.drive_file import DriveFile
from connectors_pipeline.sandbox.drive_index import DriveIndex


@dataclass(frozen=True)
class ChangeEntry:
    seq: int
    file_id: str
    time: datetime


class DriveChangeLog(DriveIndex):
    """The drive's files plus the log of their changes; logging a change moves the index's generation."""

    def __init__(self, *, email: str, lock: threading.RLock, root: DriveFile) -> None:
        super().__init__(email=email, lock=lock, root=root)
        self.changes: list[ChangeEntry] = []
        self._latest: dict[str, int] = {}  # file id -> seq of its latest change

    def _log(self, file_id: str, when: datetime) -> None:
        seq = len(self.changes) + 1
        self.changes.append(ChangeEntry(seq, file_id, when))
        self._latest[file_id] = seq
        self._generation += 1

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
        Only the log from `token` on is read (tokens are log positions), and only until the page is full.
        """
        with self._lock:
            if not token.isdigit() or not 1 <= int(token) <= len(self.changes) + 1:
                raise ValueError(token)
            out: list[tuple[ChangeEntry, DriveFile | None]] = []
            last_seq = int(token) - 1
            for pos in range(int(token) - 1, len(self.changes)):
                entry = self.changes[pos]
                if self._latest.get(entry.file_id) != entry.seq:
                    continue  # a later change of the same file comes further on
                if len(out) >= page_size:
                    # Everything after last_seq is still to come, so the next page starts there.
                    return out, str(last_seq + 1), None
                last_seq = entry.seq
                f = self.files.get(entry.file_id)
                visible = f is not None and self.is_visible(f)
                if not visible and not include_removed:
                    continue
                out.append((entry, f if visible else None))
            return out, None, str(len(self.changes) + 1)
