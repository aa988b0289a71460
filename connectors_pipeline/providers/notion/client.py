"""The Notion API for one account: notion-client over httpx, every request through the account's guard.

notion-client's own retries are off: the guard retries (honouring Retry-After), rate-limits and
breaks the circuit for every provider alike. A refresh token, when the integration issued one, is
used once on a 401 and the new tokens are handed to `save_tokens`; without one a 401 means the
person removed the integration.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from notion_client import Client
from notion_client.errors import APIResponseError
from pydantic import SecretStr

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.domain.errors import AuthRevokedError
from connectors_pipeline.providers.base import TokenSaver
from connectors_pipeline.providers.notion.errors import translate
from connectors_pipeline.resilience import CallGuard
from connectors_pipeline.resilience.guard import UNGUARDED

T = TypeVar("T")

NOTION_API = "https://api.notion.com"
PAGE_SIZE = 100  # the most Notion serves per page
# notion-client logs every failed request at WARNING; the guard reports what matters.
_QUIET = logging.getLogger("connectors_pipeline.providers.notion.client")
_QUIET.setLevel(logging.ERROR)


def notion_client(config: OAuthClientConfig, auth: str | None, timeout: float) -> Client:
    return Client(
        auth=auth,
        base_url=(config.api_base_url or NOTION_API).rstrip("/"),
        timeout_ms=int(timeout * 1000),
        retry=False,
        logger=_QUIET,
        log_level=logging.ERROR,
    )


class NotionApi:
    def __init__(
        self,
        config: OAuthClientConfig,
        tokens: OAuthTokens,
        save_tokens: TokenSaver,
        *,
        timeout: float = 60.0,
        guard: CallGuard = UNGUARDED,
    ):
        if tokens.access_token is None:
            raise AuthRevokedError("no Notion access token is stored: reconnect the account")
        self._config = config
        self._tokens = tokens
        self._save_tokens = save_tokens
        self._timeout = timeout
        self.guard = guard
        self._lock = threading.Lock()
        self._client = notion_client(config, tokens.access_token.get_secret_value(), timeout)

    def secrets(self) -> tuple[str | None, ...]:
        tokens = self._tokens
        return tuple(
            s.get_secret_value() if s is not None else None
            for s in (tokens.access_token, tokens.refresh_token, self._config.client_secret)
        )

    def call(self, what: str, request: Callable[[Client], T]) -> T:
        """One API request under the guard; each failed attempt is translated to a domain error."""
        return self.guard.call(lambda: self._attempt(what, request))

    def _attempt(self, what: str, request: Callable[[Client], T]) -> T:
        client = self._client
        try:
            try:
                return request(client)
            except APIResponseError as exc:
                if exc.status != 401 or not self._refreshed(client):
                    raise
            return request(self._client)
        except Exception as exc:
            raise translate(exc, what, self.secrets()) from None

    def _refreshed(self, stale: Client) -> bool:
        """Swap in a client with a refreshed token (once for all threads); False without a refresh token."""
        with self._lock:
            if self._client is not stale:
                return True  # another thread refreshed meanwhile
            refresh = self._tokens.refresh_token
            if refresh is None:
                return False
            answer = notion_client(self._config, None, self._timeout).oauth.token(
                client_id=self._config.client_id,
                client_secret=self._config.client_secret.get_secret_value(),
                grant_type="refresh_token",
                refresh_token=refresh.get_secret_value(),
            )
            self._tokens = tokens_from_answer(answer, self._tokens.scopes, fallback_refresh=refresh)
            self._client = notion_client(self._config, answer["access_token"], self._timeout)
            stale.close()  # requests already sent on it finish; new ones use the new token
            self._save_tokens(self._tokens)
            return True

    def paginate(self, what: str, request: Callable[[Client, dict[str, Any]], dict[str, Any]]) -> Iterator[dict]:
        """Every result of a paginated endpoint, one page (≤ 100) in memory at a time."""
        cursor: str | None = None
        while True:
            page_args: dict[str, Any] = {"page_size": PAGE_SIZE}
            if cursor:
                page_args["start_cursor"] = cursor
            answer = self.call(what, lambda client, args=page_args: request(client, args))
            yield from answer.get("results") or ()
            cursor = answer.get("next_cursor")
            if not answer.get("has_more") or not cursor:
                return

    def current_tokens(self) -> OAuthTokens:
        return self._tokens

    def close(self) -> None:
        self._client.close()


def tokens_from_answer(
    answer: dict[str, Any], scopes: tuple[str, ...], fallback_refresh: SecretStr | None = None
) -> OAuthTokens:
    """Tokens from Notion's token endpoint answer (no expiry: Notion access tokens do not expire)."""
    refresh = answer.get("refresh_token")
    return OAuthTokens(
        access_token=SecretStr(answer["access_token"]),
        refresh_token=SecretStr(refresh) if refresh else fallback_refresh,
        expiry=None,
        scopes=scopes,
    )
