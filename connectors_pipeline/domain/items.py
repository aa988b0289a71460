"""What providers report about remote files, and what a fetch produced."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class RemoteItem:
    """One remote file as the provider sees it now (folders are not items)."""

    provider: str
    external_id: str
    name: str
    mime_type: str
    paths: tuple[str, ...] = ()
    size: int | None = None  # unknown for provider-native documents
    modified_time: datetime | None = None
    version: str | None = None
    md5: str | None = None
    parents: tuple[str, ...] = ()
    trashed: bool = False
    web_url: str | None = None
    # Shared with the account by someone else: when it disappears, the account lost access to it
    # (unshared or deleted by its owner look the same from here). Owned items that disappear were deleted.
    owned_by_account: bool = True
    # The version cannot prove the content unchanged: fetch again and let the text hash decide
    # (Notion keeps edit times to the minute, so a page of the newest minute may have changed unseen).
    recheck: bool = False

    @property
    def primary_path(self) -> str:
        return self.paths[0] if self.paths else self.name


class RemovalReason(enum.StrEnum):
    """Why an item left the vault; recorded on the vault document, never silently dropped."""

    DELETED = "deleted"
    TRASHED = "trashed"
    ACCESS_LOST = "access_lost"
    MOVED_OUT_OF_SCOPE = "moved_out_of_scope"


@dataclass(frozen=True)
class Change:
    """One entry of a provider's change feed: an upsert (item set) or a removal (reason set)."""

    external_id: str
    item: RemoteItem | None = None
    removal: RemovalReason | None = None

    def __post_init__(self) -> None:
        if (self.item is None) == (self.removal is None):
            raise ValueError("a Change is either an upsert (item) or a removal (removal reason)")


class SkipReason(enum.StrEnum):
    """Why an item that exists upstream is not in the vault."""

    PROVIDER_DISABLED = "policy_provider_disabled"
    FILE_TYPE_NOT_ALLOWED = "policy_file_type"
    TOO_LARGE = "policy_max_size"
    EXPORT_FORMAT_NOT_ALLOWED = "policy_export_format"
    UNSUPPORTED_TYPE = "unsupported_type"
    EXPORT_TOO_LARGE = "export_too_large"
    NOT_FOUND = "not_found"
    EXTRACTION_FAILED = "extraction_failed"
    TRASHED = "trashed"


@dataclass(frozen=True)
class Provenance:
    """How the bytes in the blob store were obtained, for the vault's version history."""

    method: str  # "download" | "export"
    source_mime: str
    content_mime: str  # MIME type of the bytes actually fetched
    attempts: tuple[str, ...] = field(default=())  # export targets tried before the one that worked

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "source_mime": self.source_mime,
            "content_mime": self.content_mime,
            "attempts": list(self.attempts),
        }
