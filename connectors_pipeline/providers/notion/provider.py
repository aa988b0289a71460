"""NotionProvider: the provider contract over the Notion API through notion-client."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import BinaryIO

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.domain.items import Change, Provenance, RemoteItem, RemovalReason
from connectors_pipeline.providers.base import AccountProfile, ChangeBatch, ExportPlan, Scope, Snapshot, TokenSaver
from connectors_pipeline.providers.notion import changes
from connectors_pipeline.providers.notion.client import NotionApi
from connectors_pipeline.providers.notion.fetch import fetch_item
from connectors_pipeline.providers.notion.nodes import PROVIDER_NAME, Ancestry
from connectors_pipeline.providers.notion.walk import Walker, newest_edit
from connectors_pipeline.resilience import CallGuard
from connectors_pipeline.resilience.guard import UNGUARDED


class NotionProvider:
    """One Notion workspace connection (a bot of our integration in someone's workspace).

    Items are pages (database rows included) and data sources; their content is rendered Markdown.
    Thread-safe: httpx's client is, and the ancestry cache only ever gains entries.
    """

    name = PROVIDER_NAME

    def __init__(
        self,
        client: OAuthClientConfig,
        tokens: OAuthTokens,
        save_tokens: TokenSaver,
        *,
        guard: CallGuard = UNGUARDED,
        timeout: float | None = None,
    ):
        self._api = NotionApi(
            client, tokens, save_tokens, timeout=timeout or guard.retry.request_timeout_seconds, guard=guard
        )
        self._ancestry = Ancestry(self._api)

    def profile(self) -> AccountProfile:
        me = self._api.call("reading the connection's bot user", lambda c: c.users.me())
        bot = me.get("bot") or {}
        owner = (bot.get("owner") or {}).get("user") or {}
        email = (owner.get("person") or {}).get("email")
        workspace = bot.get("workspace_name") or "Notion workspace"
        return AccountProfile(
            # The workspace is the account; the bot id would change with each new install.
            external_account_id=str(bot.get("workspace_id") or me.get("id") or ""),
            email=email,
            display_name=f"{workspace} ({owner.get('name') or email or 'workspace bot'})",
        )

    def snapshot(self, scope: Scope) -> Snapshot:
        read_at = datetime.now(UTC)
        since = newest_edit(self._api)  # first: whatever is edited during the walk is newer than this
        walker = Walker(self._api, self._ancestry)

        def items() -> Iterator[RemoteItem]:
            for node in walker.walk(scope):
                yield self._ancestry.item(node, recheck=changes.unsettled(node, since))

        return Snapshot(cursor=changes.encode_cursor(since, read_at), items=items())

    def changes(self, cursor: str, scopes: Sequence[Scope]) -> ChangeBatch:
        return changes.list_changes(self._api, self._ancestry, cursor, scopes)

    def has_changes(self, cursor: str, scopes: Sequence[Scope]) -> bool:
        return changes.has_changes(self._api, cursor)

    def locate(self, external_id: str) -> RemoteItem | None:
        node = self._ancestry.node(external_id, "page") or self._ancestry.node(external_id, "data_source")
        return self._ancestry.item(node) if node is not None else None

    def missed_by_listing(self, item: RemoteItem, scopes: Sequence[Scope]) -> bool:
        node = self._ancestry.nodes.get(item.external_id)
        return node is not None and any(self._ancestry.in_scope(node, scope) for scope in scopes)

    def below(self, external_ids: Sequence[str], scopes: Sequence[Scope]) -> list[Change]:
        """Search reports a renamed or moved page alone; what lies below it is walked again (a request
        or two per page below) for its new paths, or its leaving the scopes."""
        walker = Walker(self._api, self._ancestry)
        found: list[Change] = []
        for external_id in external_ids:
            node = self._ancestry.node(external_id, "page") or self._ancestry.node(external_id, "data_source")
            if node is None:
                continue
            for below in walker.below(node):
                if any(self._ancestry.in_scope(below, scope) for scope in scopes):
                    found.append(Change(below.id, item=self._ancestry.item(below)))
                else:
                    found.append(Change(below.id, removal=RemovalReason.MOVED_OUT_OF_SCOPE))
        return found

    def fetch(self, item: RemoteItem, plan: ExportPlan, out: BinaryIO) -> Provenance:
        return fetch_item(self._api, item, out)

    def current_tokens(self) -> OAuthTokens:
        return self._api.current_tokens()

    def close(self) -> None:
        self._api.close()
