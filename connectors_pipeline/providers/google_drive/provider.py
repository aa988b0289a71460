"""GoogleDriveProvider: the provider contract over Drive v3 through google-api-python-client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.domain.items import Change, Provenance, RemoteItem
from connectors_pipeline.providers.base import (
    AccountProfile,
    ChangeBatch,
    ExportPlan,
    Scope,
    Snapshot,
    TokenSaver,
)
from connectors_pipeline.providers.google_drive.changes import has_changes, list_changes, start_page_token
from connectors_pipeline.providers.google_drive.client import DriveClient
from connectors_pipeline.providers.google_drive.fetch import fetch_item
from connectors_pipeline.providers.google_drive.listing import DriveLister, ListingStats, get_file
from connectors_pipeline.providers.google_drive.paths import PROVIDER_NAME, to_item
from connectors_pipeline.resilience import CallGuard
from connectors_pipeline.resilience.guard import UNGUARDED

DRIVE_SCOPES: tuple[str, ...] = ("https://www.googleapis.com/auth/drive.readonly",)
MIB = 1024 * 1024


class GoogleDriveProvider:
    """Google Drive for one connected account.

    Thread-safety: one instance may be shared by several threads (e.g. parallel fetches). Each
    thread gets its own httplib2/AuthorizedHttp connection (httplib2 is not thread-safe); all
    share one Credentials object whose refresh is serialised by a lock, and a refreshed token is
    handed to `save_tokens` exactly once. `save_tokens` may therefore be called from any thread.

    Every request goes through `guard` (connectors_pipeline.resilience): the library's own retries
    are off (`num_retries=0`), failures are translated to typed domain errors, and the guard retries,
    rate-limits and breaks the circuit for the account.
    """

    name = PROVIDER_NAME

    def __init__(
        self,
        client: OAuthClientConfig,
        tokens: OAuthTokens,
        save_tokens: TokenSaver,
        *,
        page_size: int = 1000,
        download_chunk_bytes: int = 8 * MIB,
        timeout: float | None = None,  # default: the guard's request timeout
        guard: CallGuard = UNGUARDED,
    ):
        if not 1 <= page_size <= 1000:
            raise ValueError("page_size must be between 1 and 1000")
        if download_chunk_bytes < 1:
            raise ValueError("download_chunk_bytes must be positive")
        self._client = DriveClient(
            client, tokens, save_tokens, timeout=timeout or guard.retry.request_timeout_seconds, guard=guard
        )
        self.page_size = page_size
        self.download_chunk_bytes = download_chunk_bytes
        self.last_listing_stats: ListingStats | None = None

    def profile(self) -> AccountProfile:
        request = self._client.service.about().get(fields="user(displayName,emailAddress,permissionId)")
        user = self._client.execute(request, "reading the account profile").get("user") or {}
        email = user.get("emailAddress")
        return AccountProfile(
            external_account_id=str(user.get("permissionId") or email or ""),
            email=email,
            display_name=user.get("displayName") or email or "",
        )

    def snapshot(self, scope: Scope) -> Snapshot:
        # the cursor comes first: anything that changes while we list shows up in changes(cursor)
        cursor = start_page_token(self._client, scope)
        lister = DriveLister(self._client, scope, self.page_size)
        self.last_listing_stats = lister.stats
        return Snapshot(cursor=cursor, items=lister.items())

    def changes(self, cursor: str, scopes: Sequence[Scope]) -> ChangeBatch:
        return list_changes(self._client, cursor, scopes, self.page_size)

    def has_changes(self, cursor: str, scopes: Sequence[Scope]) -> bool:
        return has_changes(self._client, cursor, any(scope.include_shared_drives for scope in scopes))

    def locate(self, external_id: str) -> RemoteItem | None:
        meta = get_file(self._client, external_id)
        return to_item(meta, ()) if meta is not None else None

    def missed_by_listing(self, item: RemoteItem, scopes: Sequence[Scope]) -> bool:
        return False  # the listing is complete: what it did not list is outside the scopes

    def below(self, external_ids: Sequence[str], scopes: Sequence[Scope]) -> list[Change]:
        return []  # a folder change is expanded by the feed itself (changes.py)

    def fetch(self, item: RemoteItem, plan: ExportPlan, out: BinaryIO) -> Provenance:
        """Stream the item into `out`; `out` must be seekable for export fallbacks to discard a failure."""
        return fetch_item(self._client, item, plan, out, self.download_chunk_bytes)

    def current_tokens(self) -> OAuthTokens:
        """The tokens as they are now (after any refresh)."""
        return self._client.current_tokens()

    def close(self) -> None:
        """Close the calling thread's connection."""
        self._client.close()
