"""The sandbox's fault kinds on Gmail paths, in the shapes the real Gmail client sees from Google."""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import google_auth_httplib2
import httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import _should_retry_response

from connectors_pipeline.providers.gmail import GMAIL_SCOPES
from connectors_pipeline.sandbox import FaultKind
from connectors_pipeline_tests.gmail_world import EMAIL, GmailWorld, compose, gmail_world

GMAIL = r"^/gmail/v1/"
PROFILE = r"^/gmail/v1/users/[^/]+/profile$"


@pytest.fixture
def world() -> Iterator[GmailWorld]:
    yield from gmail_world()


def error_of(request: object) -> HttpError:
    with pytest.raises(HttpError) as excinfo:
        request.execute()  # type: ignore[attr-defined]
    return excinfo.value


@pytest.mark.parametrize(
    ("kind", "params", "status", "reason"),
    [
        (FaultKind.RATE_LIMIT_429, {"retry_after": 2}, 429, "rateLimitExceeded"),
        (FaultKind.RATE_LIMIT_403, {"reason": "rateLimitExceeded"}, 403, "rateLimitExceeded"),
        (FaultKind.RATE_LIMIT_403, {}, 403, "userRateLimitExceeded"),
        (FaultKind.SERVER_ERROR, {"status": 500}, 500, "backendError"),
        (FaultKind.SERVER_ERROR, {}, 503, "backendError"),
    ],
)
def test_rate_limits_and_server_errors_look_like_googles(
    world: GmailWorld, kind: FaultKind, params: dict, status: int, reason: str
) -> None:
    world.state.add_fault(kind, GMAIL, **params)
    error = error_of(world.service().users().getProfile(userId="me"))
    assert error.status_code == status and error.error_details[0]["reason"] == reason
    # the client library would retry exactly these (when asked to)
    assert _should_retry_response(status, error.content)
    if "retry_after" in params:
        assert error.resp["retry-after"] == "2"
    assert world.service().users().getProfile(userId="me").execute()["emailAddress"] == EMAIL


def test_expired_token_is_refreshed_and_replayed_once(world: GmailWorld) -> None:
    world.mailbox.add_message(compose("a"))
    service = world.service()
    rule = world.state.add_fault(FaultKind.EXPIRED_TOKEN, PROFILE)
    before = len(world.state.requests_to(r"^/token$"))
    assert service.users().getProfile(userId="me").execute()["messagesTotal"] == 1
    assert rule.injected == 1 and len(world.state.requests_to(r"^/token$")) == before + 1


def _client(world: GmailWorld, timeout: float) -> object:
    access, refresh = world.state.issue_tokens(EMAIL, GMAIL_SCOPES)
    creds = Credentials(
        token=access,
        refresh_token=refresh,
        token_uri=world.client.token_uri,
        client_id=world.client.client_id,
        client_secret=world.client.client_secret.get_secret_value(),
    )
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=timeout))
    return build("gmail", "v1", http=http, discoveryServiceUrl=world.client.discovery_url)


def test_a_timeout_leaves_the_client_waiting_until_its_socket_gives_up(world: GmailWorld) -> None:
    world.state.add_fault(FaultKind.TIMEOUT, PROFILE, seconds=2.0)
    service = _client(world, timeout=0.5)
    with pytest.raises(TimeoutError):
        service.users().getProfile(userId="me").execute()  # type: ignore[attr-defined]


def test_a_dropped_connection_truncates_the_body(world: GmailWorld) -> None:
    world.mailbox.add_message(compose("a", "x" * 5000))
    world.state.add_fault(FaultKind.DROP, r"^/gmail/v1/users/[^/]+/messages/[^/]+$", keep=0.3)
    service = _client(world, timeout=5)
    listed = service.users().messages().list(userId="me").execute()  # type: ignore[attr-defined]
    msg_id = listed["messages"][0]["id"]
    with pytest.raises(http.client.IncompleteRead):
        service.users().messages().get(userId="me", id=msg_id, format="raw").execute()  # type: ignore[attr-defined]
