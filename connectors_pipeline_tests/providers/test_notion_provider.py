"""NotionProvider against the sandbox over real HTTP: the connect flow, the guard's retries of what
notion-client itself will not retry, token refresh and revocation, the rate limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors_pipeline.domain.errors import AuthRevokedError, TransientError
from connectors_pipeline.domain.file_types import NOTION_DATABASE, NOTION_PAGE
from connectors_pipeline.providers.base import ExportPlan, Scope
from connectors_pipeline.providers.notion import oauth
from connectors_pipeline.providers.notion.provider import NotionProvider
from connectors_pipeline.resilience import CallGuard, RetrySettings
from connectors_pipeline.resilience.limiter import RateLimiter
from connectors_pipeline.sandbox import SandboxServer, SandboxState, sandbox_client_config, seed_notion

USER = "ada@example.com"
FAST_RETRIES = RetrySettings(attempts=4, base_seconds=0.01, max_backoff_seconds=0.05, retry_after_cap_seconds=5)


@pytest.fixture
def world() -> Iterator[tuple]:
    state = SandboxState()
    state.add_user(USER)
    ids = seed_notion(state, USER)
    with SandboxServer(state) as server:
        client = sandbox_client_config(server.url)
        tokens = oauth.authorize(client, (), mode="sandbox", login_hint=USER, echo=lambda _: None)
        yield state, client, tokens, ids


def provider(world, guard: CallGuard | None = None, saved: list | None = None) -> NotionProvider:
    _, client, tokens, _ = world
    return NotionProvider(
        client, tokens, (saved if saved is not None else []).append, guard=guard or CallGuard(FAST_RETRIES)
    )


def test_connect_flow_yields_tokens_and_the_workspace_profile(world):
    state, _, tokens, _ = world
    profile = provider(world).profile()

    assert tokens.access_token is not None and tokens.refresh_token is not None and tokens.expiry is None
    assert profile.email == USER
    assert profile.external_account_id == state.notion(USER).workspace_id


def test_snapshot_lists_pages_rows_and_data_sources_with_title_paths(world):
    _, _, _, ids = world
    items = {item.external_id: item for item in provider(world).snapshot(Scope()).items}

    assert items[ids["day_one"]].paths == ("Team Handbook/Onboarding/First Week/Day One",)
    assert items[ids["day_one"]].mime_type == NOTION_PAGE
    assert items[ids["projects"]].mime_type == NOTION_DATABASE
    assert items[ids["row:Vault"]].paths == ("Team Handbook/Projects/Vault",)
    assert ids["trashed"] not in items and ids["private"] not in items  # trash and unshared are not listed


def test_server_errors_notion_client_would_not_retry_are_retried_by_the_guard(world):
    state, *_ = world
    state.add_fault("server_error", r"^/v1/search$", times=2, status=529)  # service_overload: unknown to 3.1
    state.add_fault("server_error", r"^/v1/blocks/", times=1, status=502)  # an HTML bad gateway
    guard = CallGuard(FAST_RETRIES)

    items = list(provider(world, guard).snapshot(Scope()).items)

    assert len(items) == 12
    assert guard.stats.counts()["requests_retried"] == 3


def test_a_rate_limited_request_waits_for_retry_after_and_succeeds(world):
    state, *_ = world
    state.add_fault("rate_limit_429", r"^/v1/search$", times=1, retry_after=1)
    guard = CallGuard(FAST_RETRIES)

    assert provider(world, guard).has_changes('{"since": null}', [Scope()]) is True
    counts = guard.stats.counts()
    assert counts["requests_retried"] == 1 and counts["retry_seconds"] >= 1.0


def test_a_timeout_is_transient(world):
    state, *_ = world
    state.add_fault("timeout", r"^/v1/search$", times=1, seconds=2.0)
    guard = CallGuard(RetrySettings(attempts=1, request_timeout_seconds=0.5))

    with pytest.raises(TransientError, match="did not answer in time"):
        provider(world, guard).has_changes('{"since": null}', [Scope()])


def test_a_rejected_token_is_refreshed_once_and_the_new_one_saved(world):
    state, _, tokens, ids = world
    saved: list = []
    state.expire_access_token(tokens.access_token.get_secret_value())

    text = _fetch_text(provider(world, saved=saved), ids["day_one"])

    assert "Welcome!" in text
    assert len(saved) == 1 and saved[0].access_token.get_secret_value() != tokens.access_token.get_secret_value()


def test_a_removed_integration_is_a_revoked_connection_not_a_retry(world):
    state, *_ = world
    state.revoke_user_grants(USER)
    guard = CallGuard(FAST_RETRIES)

    with pytest.raises(AuthRevokedError, match="reconnect"):
        provider(world, guard).profile()
    assert guard.stats.counts()["requests_retried"] == 0


def test_under_the_rate_limit_the_limiter_keeps_every_request_inside_it(world):
    state, *_ = world
    state.notion_rate_limit = (20.0, 40.0)  # Notion allows some bursts; the limiter makes smaller ones
    guard = CallGuard(FAST_RETRIES, limiter=RateLimiter(20.0))
    notion = provider(world, guard)

    items = list(notion.snapshot(Scope()).items)
    for item in items:
        _fetch_text(notion, item.external_id, item.mime_type)

    assert state.notion_rate_limited == 0
    assert guard.stats.counts()["requests_retried"] == 0


def _fetch_text(notion: NotionProvider, external_id: str, mime: str = NOTION_PAGE) -> str:
    import io

    from connectors_pipeline.domain.items import RemoteItem

    out = io.BytesIO()
    item = RemoteItem(provider="notion", external_id=external_id, name="", mime_type=mime)
    provenance = notion.fetch(item, ExportPlan(), out)
    assert provenance.content_mime == "text/markdown"
    return out.getvalue().decode()


def test_nested_blocks_that_are_gone_leave_a_note_not_a_failed_page(world):
    state, _, _, ids = world
    nested = rf"^/v1/blocks/(?!{ids['handbook']})[^/]+/children$"
    state.add_fault("http_error", nested, times=1, status=404)  # the first nested block's children are gone
    notion = provider(world)

    text = _fetch_text(notion, ids["handbook"])

    assert "# Team Handbook" in text and "not fetched" in text


def test_the_sensor_asks_again_once_the_minute_it_read_has_closed(world):
    from datetime import timedelta

    from connectors_pipeline.providers.notion import changes

    notion = provider(world)
    snapshot = notion.snapshot(Scope())
    list(snapshot.items)
    since, _ = changes.decode_cursor(snapshot.cursor)
    minute = changes.parse_time(since).replace(second=0, microsecond=0)
    read_in_the_minute = changes.encode_cursor(since, minute + timedelta(seconds=10))
    read_after_it = changes.encode_cursor(since, minute + timedelta(minutes=5))
    api = notion._api

    assert not changes.has_changes(api, read_in_the_minute, now=minute + timedelta(seconds=40))
    assert changes.has_changes(api, read_in_the_minute, now=minute + timedelta(minutes=3))
    assert not changes.has_changes(api, read_after_it, now=minute + timedelta(minutes=10))
