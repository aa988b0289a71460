"""The contract every provider implements; the pipeline never knows which one it drives."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
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
    """What of an account to sync: everything (no roots) or the given folder/page ids."""

    roots: tuple[str, ...] = ()
    recursive: bool = True
    include_shared_drives: bool = False


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
class ExportPlan:
    """For each provider-native MIME type, the export targets to try, best first."""

    targets: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def restricted_to(self, allowed: frozenset[str] | None) -> ExportPlan:
        if allowed is None:
            return self
        return ExportPlan({src: tuple(t for t in tgts if t in allowed) for src, tgts in self.targets.items()})


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

    def fetch(self, item: RemoteItem, plan: ExportPlan, out: BinaryIO) -> Provenance:
        """Stream the item's bytes (download or export) into `out`; never hold whole files in memory."""
        ...


class ProviderFactory(Protocol):
    """Builds a provider for one account; every request it makes goes through `guard`."""

    def __call__(
        self, client: OAuthClientConfig, tokens: OAuthTokens, save_tokens: TokenSaver, guard: CallGuard
    ) -> Provider: ...
