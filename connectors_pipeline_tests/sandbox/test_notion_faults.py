"""Faults and the rate limit on Notion's paths, as notion-client 3.1 observes them (with and without its retries)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from notion_client import Client
from notion_client.client import RetryOptions
from notion_client.errors import APIResponseError, RequestTimeoutError, UnknownHTTPResponseError

from connectors_pipeline.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

from .notion_world import NotionWorld, notion_world

FAST_RETRY = RetryOptions(max_retries=2, initial_retry_delay_ms=10, max_retry_delay_ms=2000)


@pytest.fixture
def world() -> Iterator[NotionWorld]:
    with notion_world() as w:
        yield w


def _retrying(world: NotionWorld, **options: object) -> Client:
    return world.client(retry=FAST_RETRY, **options)


def test_rate_limit_fault_is_retried_after_retry_after(world: NotionWorld) -> None:
    world.state.add_fault("rate_limit_429", r"^/v1/search$", times=1, retry_after=1)
    started = time.monotonic()
    assert _retrying(world).search(page_size=1)["results"]
    assert time.monotonic() - started >= 1.0  # the client waited as told
    assert [r.status for r in world.state.requests_to("^/v1/search$")] == [429, 200]
    assert world.state.fault_counts() == {"rate_limit_429": 1}


def test_rate_limit_fault_without_retries(world: NotionWorld) -> None:
    world.state.add_fault("rate_limit_429", r"^/v1/users/me$", retry_after=0.2)
    with pytest.raises(APIResponseError) as error:
        world.client().users.me()
    assert (error.value.status, error.value.code) == (429, "rate_limited")
    assert error.value.headers["retry-after"] == "1"  # whole seconds, as Notion sends


def test_get_5xx_is_retried_but_post_5xx_is_not(world: NotionWorld) -> None:
    world.state.add_fault("server_error", r"^/v1/users/me$", times=1, status=503)
    assert _retrying(world).users.me()["type"] == "bot"
    world.state.add_fault("server_error", r"^/v1/search$", times=1, status=500)
    with pytest.raises(APIResponseError) as error:
        _retrying(world).search()
    assert (error.value.status, error.value.code) == (500, "internal_server_error")
    assert [r.status for r in world.state.requests_to("^/v1/users/me$")] == [503, 200]
    assert [r.status for r in world.state.requests_to("^/v1/search$")] == [500]


@pytest.mark.parametrize(
    ("status", "error_type", "code"),
    [
        (504, APIResponseError, "gateway_timeout"),
        (502, UnknownHTTPResponseError, "notionhq_client_response_error"),
        (529, UnknownHTTPResponseError, "notionhq_client_response_error"),
    ],
)
def test_failures_the_client_never_retries(world: NotionWorld, status: int, error_type: type, code: str) -> None:
    world.state.add_fault("server_error", r"^/v1/pages/", times=1, status=status)
    with pytest.raises(error_type) as error:
        _retrying(world).pages.retrieve(world.ids["handbook"])
    assert (error.value.status, error.value.code) == (status, code)
    assert len(world.state.requests_to("^/v1/pages/")) == 1
    if status == 502:
        assert "<html>" in error.value.body
    if status == 529:
        assert '"service_overload"' in error.value.body


def test_http_error_uses_notion_codes(world: NotionWorld) -> None:
    world.state.add_fault("http_error", r"^/v1/blocks/", status=409, message="Conflict, try again.")
    world.state.add_fault("http_error", r"^/v1/databases/", status=403)
    with pytest.raises(APIResponseError) as conflict:
        world.client().blocks.children.list(world.ids["handbook"])
    assert (conflict.value.code, str(conflict.value)) == ("conflict_error", "Conflict, try again.")
    with pytest.raises(APIResponseError) as restricted:
        world.client().databases.retrieve(world.ids["projects_database"])
    assert restricted.value.code == "restricted_resource"


def test_expired_token_fault_kills_the_token(world: NotionWorld) -> None:
    world.state.add_fault("expired_token", r"^/v1/search$")
    notion = world.client()
    for _ in range(2):  # the fault fires once; the token stays dead after it
        with pytest.raises(APIResponseError) as error:
            notion.search()
        assert (error.value.status, error.value.code) == (401, "unauthorized")


def test_invalid_grant_fault_on_refresh(world: NotionWorld) -> None:
    world.state.add_fault("invalid_grant", r"^/v1/oauth/token$")
    with pytest.raises(UnknownHTTPResponseError) as error:
        world.client().oauth.token(
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            grant_type="refresh_token",
            refresh_token=world.refresh_token,
        )
    assert error.value.status == 400 and "invalid_grant" in error.value.body
    assert world.state.fault_counts() == {"invalid_grant": 1}


def test_latency_timeout_and_drop(world: NotionWorld) -> None:
    world.state.add_fault("latency", r"^/v1/users/me$", seconds=0.3)
    started = time.monotonic()
    world.client().users.me()
    assert time.monotonic() - started >= 0.3
    world.state.add_fault("timeout", r"^/v1/users/me$", seconds=2.0)
    with pytest.raises(RequestTimeoutError):
        world.client(timeout_ms=300).users.me()
    world.state.add_fault("drop", r"^/v1/search$", keep=0.5)
    with pytest.raises(httpx.RemoteProtocolError):
        world.client().search()


def test_google_only_faults_refuse_notion_paths(world: NotionWorld) -> None:
    for kind in ("stale_page_token", "export_too_large", "rate_limit_403"):
        with pytest.raises(ValueError, match="no Notion counterpart"):
            world.state.add_fault(kind, r"^/v1/search$")


def test_rate_limit_refuses_past_the_burst_and_the_client_honours_it(world: NotionWorld) -> None:
    world.state.notion_rate_limit = (2.0, 2.0)
    notion = world.client(retry=RetryOptions(max_retries=3, initial_retry_delay_ms=10, max_retry_delay_ms=5000))
    started = time.monotonic()
    for _ in range(4):
        assert notion.users.me()["type"] == "bot"
    elapsed = time.monotonic() - started
    statuses = [r.status for r in world.state.requests_to("^/v1/users/me$")]
    assert statuses.count(200) == 4 and statuses.count(429) == world.state.notion_rate_limited >= 1
    assert elapsed >= 1.0  # every refusal cost a whole Retry-After second
    # Another connection has a bucket of its own.
    other = world.client(token=world.state.issue_tokens("x@example.com", ("notion",))[0])
    assert other.users.me()["type"] == "bot"


def test_rate_limit_answer_as_the_client_sees_it(world: NotionWorld) -> None:
    world.state.notion_rate_limit = (0.5, 1.0)
    notion = world.client()
    notion.users.me()
    with pytest.raises(APIResponseError) as error:
        notion.users.me()
    assert (error.value.status, error.value.code) == (429, "rate_limited")
    assert int(error.value.headers["retry-after"]) >= 1
    assert world.state.notion_rate_limited == 1
