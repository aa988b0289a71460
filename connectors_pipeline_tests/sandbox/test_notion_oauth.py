"""Notion's public-integration OAuth against the sandbox: authorize, token (code and refresh), revoke, introspect."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from notion_client.errors import APIResponseError, UnknownHTTPResponseError

from connectors_pipeline.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

from .notion_world import ADA, NotionWorld, notion_world

REDIRECT = "http://127.0.0.1:9/callback"
BOB = "bob@example.com"


@pytest.fixture
def world() -> Iterator[NotionWorld]:
    with notion_world() as w:
        w.state.add_user(BOB)
        yield w


def _authorize(world: NotionWorld, **params: str) -> dict[str, list[str]]:
    query = {"client_id": SANDBOX_CLIENT_ID, "response_type": "code", "owner": "user", "redirect_uri": REDIRECT}
    answer = httpx.get(f"{world.server.url}/v1/oauth/authorize?{urlencode({**query, **params})}")
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    return parse_qs(urlsplit(location).query)


def _exchange(world: NotionWorld, code: str, redirect_uri: str = REDIRECT, **auth: str) -> dict:
    return world.client(token="").oauth.token(
        client_id=auth.get("client_id", SANDBOX_CLIENT_ID),
        client_secret=auth.get("client_secret", SANDBOX_CLIENT_SECRET),
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri,
    )


def test_code_exchange_gives_a_working_connection(world: NotionWorld) -> None:
    redirect = _authorize(world, state="xyz", login_hint=BOB)
    assert redirect["state"] == ["xyz"]
    answer = _exchange(world, redirect["code"][0])
    assert answer["token_type"] == "bearer" and answer["access_token"].startswith("ntn_")
    assert answer["refresh_token"] and answer["duplicated_template_id"] is None and answer["request_id"]
    bob = world.state.notion(BOB)
    assert (answer["bot_id"], answer["workspace_id"]) == (bob.bot_id, bob.workspace_id)
    assert answer["owner"]["type"] == "user" and answer["owner"]["user"]["person"]["email"] == BOB
    assert "expires_in" not in answer
    assert world.client(answer["access_token"]).users.me()["id"] == bob.bot_id


def test_without_hint_the_first_user_consents(world: NotionWorld) -> None:
    answer = _exchange(world, _authorize(world)["code"][0])
    assert answer["owner"]["user"]["person"]["email"] == ADA


def test_bad_code_and_reuse_are_invalid_grant(world: NotionWorld) -> None:
    code = _authorize(world)["code"][0]
    _exchange(world, code)
    for bad in (code, "not-a-code"):
        with pytest.raises(UnknownHTTPResponseError) as error:  # invalid_grant is outside 3.1's enum
            _exchange(world, bad)
        assert error.value.status == 400 and '"invalid_grant"' in error.value.body
    with pytest.raises(UnknownHTTPResponseError):
        _exchange(world, _authorize(world)["code"][0], redirect_uri="http://127.0.0.1:9/other")


def test_bad_client_is_unauthorized(world: NotionWorld) -> None:
    with pytest.raises(APIResponseError) as error:
        _exchange(world, _authorize(world)["code"][0], client_secret="wrong")
    assert (error.value.status, error.value.code) == (401, "unauthorized")


def test_refresh_then_revoke(world: NotionWorld) -> None:
    oauth = world.client(token="").oauth
    fresh = oauth.token(
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        grant_type="refresh_token",
        refresh_token=world.refresh_token,
    )
    assert fresh["access_token"] != world.access_token
    assert world.client(fresh["access_token"]).users.me()["type"] == "bot"
    active = oauth.introspect(
        client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET, token=fresh["access_token"]
    )
    assert active["active"] is True
    oauth.revoke(client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET, token=world.access_token)
    for token in (world.access_token, fresh["access_token"]):  # the whole connection goes
        with pytest.raises(APIResponseError) as error:
            world.client(token).search()
        assert error.value.code == "unauthorized"
    with pytest.raises(UnknownHTTPResponseError) as refused:
        oauth.token(
            client_id=SANDBOX_CLIENT_ID,
            client_secret=SANDBOX_CLIENT_SECRET,
            grant_type="refresh_token",
            refresh_token=world.refresh_token,
        )
    assert refused.value.status == 400 and "invalid_grant" in refused.value.body
    gone = oauth.introspect(client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET, token=world.access_token)
    assert gone["active"] is False


def test_google_tokens_do_not_open_notion(world: NotionWorld) -> None:
    google_access, _ = world.state.issue_tokens(ADA)
    with pytest.raises(APIResponseError) as error:
        world.client(google_access).users.me()
    assert error.value.status == 401


def test_notion_tokens_do_not_expire(world: NotionWorld) -> None:
    world.state.access_token_ttl = 0  # what Google tokens get has no say over Notion's
    answer = _exchange(world, _authorize(world)["code"][0])
    assert world.client(answer["access_token"]).users.me()["type"] == "bot"
