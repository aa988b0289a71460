"""GmailProvider: the provider contract over Gmail v1 through google-api-python-client."""

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
from connectors_pipeline.providers.gmail.changes import has_changes, list_changes
from connectors_pipeline.providers.gmail.client import GmailClient
from connectors_pipeline.providers.gmail.fetch import fetch_message
from connectors_pipeline.providers.gmail.items import PROVIDER_NAME, LabelNames, check_scope, item_version, to_item
from connectors_pipeline.providers.gmail.listing import get_metadata, snapshot_items
from connectors_pipeline.resilience import CallGuard
from connectors_pipeline.resilience.guard import UNGUARDED

GMAIL_SCOPES: tuple[str, ...] = ("https://www.googleapis.com/auth/gmail.readonly",)


class GmailProvider:
    """Gmail for one connected account: one item per message, paths from its labels.

    Thread-safety and resilience as GoogleDriveProvider: per-thread connections over one locked set
    of credentials, every request through `guard` with the library's retries off. `plan` is the
    export plan the sync fetches with: how much of a message it takes is every item's version.
    """

    name = PROVIDER_NAME

    def __init__(
        self,
        client: OAuthClientConfig,
        tokens: OAuthTokens,
        save_tokens: TokenSaver,
        *,
        guard: CallGuard = UNGUARDED,
        plan: ExportPlan | None = None,
        page_size: int = 500,
        workers: int = 8,
        timeout: float | None = None,  # default: the guard's request timeout
    ):
        if not 1 <= page_size <= 500:
            raise ValueError("page_size must be between 1 and 500")
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._client = GmailClient(
            client, tokens, save_tokens, timeout=timeout or guard.retry.request_timeout_seconds, guard=guard
        )
        self._labels = LabelNames(self._client)
        self.version = item_version(plan or ExportPlan())
        self.page_size = page_size
        self.workers = workers

    def profile(self) -> AccountProfile:
        email = str(self._profile()["emailAddress"])
        return AccountProfile(external_account_id=email, email=email, display_name=email)

    def _profile(self) -> dict[str, object]:
        return self._client.execute(self._client.users().getProfile(userId="me"), "reading the Gmail profile")

    def snapshot(self, scope: Scope) -> Snapshot:
        check_scope(scope)
        # the cursor comes first: anything that changes while we list shows up in changes(cursor)
        cursor = str(self._profile()["historyId"])
        self._labels.reload()
        items = snapshot_items(self._client, scope, self._labels, self.version, self.page_size, self.workers)
        return Snapshot(cursor=cursor, items=items)

    def changes(self, cursor: str, scopes: Sequence[Scope]) -> ChangeBatch:
        return list_changes(self._client, cursor, scopes, self._labels, self.version, self.page_size, self.workers)

    def has_changes(self, cursor: str, scopes: Sequence[Scope]) -> bool:
        return has_changes(self._client, cursor)

    def locate(self, external_id: str) -> RemoteItem | None:
        meta = get_metadata(self._client, external_id)
        return to_item(meta, self._labels, self.version) if meta is not None else None

    def missed_by_listing(self, item: RemoteItem, scopes: Sequence[Scope]) -> bool:
        return False  # the listing is complete: what it did not list is outside the scopes

    def below(self, external_ids: Sequence[str], scopes: Sequence[Scope]) -> list[Change]:
        return []  # a message contains no other items

    def fetch(self, item: RemoteItem, plan: ExportPlan, out: BinaryIO) -> Provenance:
        """Write the message as message/rfc822 into `out` (headers only, or whole: see fetch.py)."""
        return fetch_message(self._client, item, plan, out)

    def current_tokens(self) -> OAuthTokens:
        """The tokens as they are now (after any refresh)."""
        return self._client.current_tokens()

    def close(self) -> None:
        """Close the calling thread's connection."""
        self._client.close()
