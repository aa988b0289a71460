"""The contract every provider implements; the pipeline never knows which one it drives."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import BinaryIO, Protocol

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.domain.items import Change, Provenance, RemoteItem
from connectors_pipeline.resilience import CallGuard


@dataclass(frozen=True)
class AccountProfile:
    """The external identity behind an account, used for policy (domains) and display."""

    external_account_id: str
    email: str | None
    display_name: str


@dataclass(frozen=True)
class Scope:
    """What of an account to sync: everything (no roots) or the given roots of one `kind`.

    Kinds are the provider's (ProviderInfo.source_kinds): Drive folders, Notion pages and databases,
    Gmail labels and search queries (a query's root is the query text).
    """

    roots: tuple[str, ...] = ()
    recursive: bool = True
    include_shared_drives: bool = False
    kind: str = "folder"


@dataclass
class Snapshot:
    """A full listing; `cursor` was taken before the sweep so nothing changed during it is missed."""

    cursor: str | None
    items: Iterator[RemoteItem]


@dataclass
class ChangeBatch:
    changes: list[Change]
    next_cursor: str


@dataclass(frozen=True)
class AttachmentRules:
    """Which parts of a container item (an e-mail's attachments) may be fetched along with it."""

    allowed_file_types: frozenset[str] | None = None  # vault file types (domain/file_types.py); None: all
    max_bytes: int | None = None

    def allows(self, file_type: str | None, size: int) -> bool:
        if file_type is None or (self.allowed_file_types is not None and file_type not in self.allowed_file_types):
            return False
        return self.max_bytes is None or size <= self.max_bytes


@dataclass(frozen=True)
class ExportPlan:
    """What to fetch of an item and how: for each provider-native MIME type the export targets to try,
    best first; how much of a message to take ("metadata": headers only, "full": body and the
    attachments `attachments` allows)."""

    targets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    message_content: str = "metadata"
    attachments: AttachmentRules = AttachmentRules()

    def restricted_to(self, allowed: frozenset[str] | None) -> ExportPlan:
        if allowed is None:
            return self
        targets = {src: tuple(t for t in tgts if t in allowed) for src, tgts in self.targets.items()}
        return replace(self, targets=targets)


TokenSaver = Callable[[OAuthTokens], None]


class Provider(Protocol):
    name: str

    def profile(self) -> AccountProfile: ...

    def snapshot(self, scope: Scope) -> Snapshot: ...

    def changes(self, cursor: str, scopes: Sequence[Scope]) -> ChangeBatch:
        """Everything that changed in the scopes since `cursor`, one Change per item at its current
        state, and the cursor to read from next. StaleCursorError when the cursor is no longer valid."""
        ...

    def has_changes(self, cursor: str, scopes: Sequence[Scope]) -> bool:
        """Whether anything changed since `cursor`, in as few requests as the provider allows (for
        sensors polling many accounts); may say yes for changes outside the scopes."""
        ...

    def locate(self, external_id: str) -> RemoteItem | None:
        """The item as it is now wherever it is (paths may be empty), or None when it is gone or no
        longer visible: a snapshot uses it to say why a known item left the scopes."""
        ...

    def missed_by_listing(self, item: RemoteItem, scopes: Sequence[Scope]) -> bool:
        """Whether a located item belongs to the scopes although the snapshot did not list it: only a
        listing that can miss items (Notion's search) says yes; a complete one (Drive, Gmail) never."""
        ...

    def below(self, external_ids: Sequence[str], scopes: Sequence[Scope]) -> list[Change]:
        """The items inside those that were renamed or moved, at their new paths (or out of the scopes):
        a change feed that reports only the moved item itself leaves them stale. Providers whose items
        contain no other items (folders are no items in Drive) return []."""
        ...

    def fetch(self, item: RemoteItem, plan: ExportPlan, out: BinaryIO) -> Provenance:
        """Stream the item's bytes (download or export) into `out`; never hold whole files in memory."""
        ...


class ProviderFactory(Protocol):
    """Builds a provider for one account; every request it makes goes through `guard`. `plan` is the
    export plan the sync will fetch with, for providers whose listing depends on it (Gmail versions
    its items by how much of a message is taken, so a change of plan fetches them again)."""

    def __call__(
        self,
        client: OAuthClientConfig,
        tokens: OAuthTokens,
        save_tokens: TokenSaver,
        guard: CallGuard,
        plan: ExportPlan | None = None,
    ) -> Provider: ...
