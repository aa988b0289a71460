"""Every fault kind, as the real google-api-python-client, google-auth and httplib2 see it over HTTP."""

from __future__ import annotations

import http.client
import io
import json
import time

import google_auth_httplib2
import httplib2
import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import Resource, build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload, _should_retry_response

from connectors_pipeline.sandbox import FaultKind, SandboxServer, SandboxState
from connectors_pipeline.sandbox.corpus import CorpusFile

from .conftest import ALICE, discovery_url, index_of

ABOUT = r"^/drive/v3/about$"
FILES = r"^/drive/v3/files$"


def with_timeout(server: SandboxServer, creds: Credentials, seconds: float) -> Resource:
    """A Drive client whose sockets give up after `seconds`, as the pipeline configures its own."""
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=seconds))
    return build("drive", "v3", http=http, discoveryServiceUrl=discovery_url(server), cache_discovery=False)


def http_error(request: object) -> HttpError:
    with pytest.raises(HttpError) as excinfo:
        request.execute()  # type: ignore[attr-defined]
    return excinfo.value


def download(request: object, out: io.BytesIO) -> None:
    downloader = MediaIoBaseDownload(out, request, chunksize=64 * 1024)
    done = False
    while not done:
        _, done = downloader.next_chunk()


def about_outcomes(service: Resource, n: int) -> list[bool]:
    """For n calls of about.get: was each one failed?"""
    outcomes = []
    for _ in range(n):
        try:
            service.about().get(fields="user").execute()
            outcomes.append(False)
        except HttpError:
            outcomes.append(True)
    return outcomes


# ------------------------------------------------------------------------------ rate limits, 5xx
def test_rate_limit_429_has_retry_after_and_google_body(state: SandboxState, service: Resource) -> None:
    state.add_fault(FaultKind.RATE_LIMIT_429, FILES, retry_after=0.05)
    error = http_error(service.files().list(pageSize=1))
    assert error.status_code == 429 and error.resp["retry-after"] == "0.05"
    assert json.loads(error.content) == {
        "error": {
            "errors": [{"message": "Rate Limit Exceeded", "domain": "usageLimits", "reason": "rateLimitExceeded"}],
            "code": 429,
            "message": "Rate Limit Exceeded",
            "status": "RESOURCE_EXHAUSTED",
        }
    }
    assert _should_retry_response(error.status_code, error.content)
    assert len(service.files().list(pageSize=1).execute()["files"]) == 1  # one-shot by default


@pytest.mark.parametrize("reason", ["userRateLimitExceeded", "rateLimitExceeded"])
def test_rate_limit_403_is_the_retryable_drive_quota_error(state: SandboxState, service: Resource, reason: str) -> None:
    state.add_fault("rate_limit_403", ABOUT, reason=reason)
    error = http_error(service.about().get(fields="user"))
    body = json.loads(error.content)["error"]
    assert error.status_code == 403 and error.error_details[0]["reason"] == reason
    assert set(body) == {"code", "message", "errors", "status"} and body["status"] == "PERMISSION_DENIED"
    assert set(body["errors"][0]) == {"domain", "reason", "message"} and body["errors"][0]["domain"] == "usageLimits"
    assert "retry-after" not in error.resp  # Drive does not send one on 403
    assert _should_retry_response(403, error.content)  # googleapiclient retries it, unlike a plain 403


@pytest.mark.parametrize(("status", "reason"), [(503, "backendError"), (500, "internalError")])
def test_server_error_is_retryable_5xx(state: SandboxState, service: Resource, status: int, reason: str) -> None:
    state.add_fault(FaultKind.SERVER_ERROR, status=status, reason=reason)
    error = http_error(service.about().get(fields="user"))
    assert error.status_code == status and error.error_details[0]["reason"] == reason
    assert _should_retry_response(status, error.content)
    assert state.requests_to(ABOUT)[-1].fault == "server_error"


# ------------------------------------------------------------------------- slow and broken links
def test_latency_delays_a_correct_answer(state: SandboxState, service: Resource) -> None:
    expected = service.about().get(fields="user").execute()
    state.add_fault(FaultKind.LATENCY, ABOUT, seconds=0.15)
    started = time.perf_counter()
    assert service.about().get(fields="user").execute() == expected
    assert time.perf_counter() - started >= 0.15
    assert [r.status for r in state.requests_to(ABOUT)] == [200, 200]


def test_timeout_makes_the_client_socket_time_out(
    state: SandboxState, server: SandboxServer, creds: Credentials
) -> None:
    service = with_timeout(server, creds, 0.2)
    state.add_fault(FaultKind.TIMEOUT, ABOUT, seconds=2.0)
    started = time.perf_counter()
    with pytest.raises(TimeoutError):  # socket.timeout
        service.about().get(fields="user").execute()
    assert time.perf_counter() - started < 1.0
    assert service.about().get(fields="user").execute()["user"]["emailAddress"] == ALICE
    timed_out, answered = state.requests_to(ABOUT)
    assert (timed_out.status, timed_out.fault) == (0, "timeout")  # the client hung up before any answer
    assert answered.status == 200


def test_timeout_then_answer_or_close_for_a_patient_client(
    state: SandboxState, server: SandboxServer, creds: Credentials
) -> None:
    service = with_timeout(server, creds, 5.0)
    state.add_fault(FaultKind.TIMEOUT, ABOUT, seconds=0.2, then="answer")
    started = time.perf_counter()
    assert service.about().get(fields="user").execute()["user"]["emailAddress"] == ALICE
    assert time.perf_counter() - started >= 0.2
    state.add_fault(FaultKind.TIMEOUT, ABOUT, seconds=0.1, then="close")
    with pytest.raises(http.client.IncompleteRead) as excinfo:
        service.about().get(fields="user").execute()
    assert excinfo.value.partial == b"" and excinfo.value.expected > 0


def test_drop_cuts_a_json_body(state: SandboxState, service: Resource) -> None:
    whole = service.files().list(pageSize=5).execute()
    length = len(json.dumps(whole, indent=2).encode())
    rule = state.add_fault(FaultKind.DROP, FILES, keep=0.25)
    with pytest.raises(http.client.IncompleteRead) as excinfo:
        service.files().list(pageSize=5).execute()
    assert len(excinfo.value.partial) == length // 4 and excinfo.value.expected == length - length // 4
    assert service.files().list(pageSize=5).execute() == whole  # the client reconnects
    assert rule.injected == 1 and state.fault_counts() == {"drop": 1}


@pytest.mark.parametrize("label", ["oversize", "google_doc"])
def test_drop_cuts_media_and_export_downloads(
    state: SandboxState, service: Resource, corpus: list[CorpusFile], label: str
) -> None:
    file_id = state.seeded_ids[index_of(corpus, label)]  # type: ignore[attr-defined]
    files = service.files()
    fetch = (
        (lambda: files.get_media(fileId=file_id))
        if label == "oversize"
        else (lambda: files.export_media(fileId=file_id, mimeType="text/plain"))
    )
    whole = io.BytesIO()
    download(fetch(), whole)
    state.add_fault(FaultKind.DROP, rf"^/drive/v3/files/{file_id}(/export)?$")
    with pytest.raises(http.client.IncompleteRead) as excinfo:
        download(fetch(), io.BytesIO())
    assert 0 < len(excinfo.value.partial) < len(whole.getvalue())
    again = io.BytesIO()
    download(fetch(), again)
    assert again.getvalue() == whole.getvalue()


# ------------------------------------------------------------------------------------- OAuth
def test_expired_token_is_refreshed_and_replayed(state: SandboxState, service: Resource, creds: Credentials) -> None:
    old_token = creds.token
    state.add_fault(FaultKind.EXPIRED_TOKEN, ABOUT)
    assert service.about().get(fields="user").execute()["user"]["emailAddress"] == ALICE
    assert creds.token != old_token
    assert state.authenticate(old_token) is None and state.authenticate(creds.token) is not None
    assert [r.status for r in state.requests_to(ABOUT)] == [401, 200]
    assert [r.status for r in state.requests_to("^/token$")] == [200]


def test_expired_token_answers_unauthenticated_and_the_token_stays_dead(
    state: SandboxState, server: SandboxServer
) -> None:
    access, _ = state.issue_tokens(ALICE)
    headers = {"Authorization": f"Bearer {access}"}
    state.add_fault(FaultKind.EXPIRED_TOKEN)
    response = httpx.get(f"{server.url}/drive/v3/about", params={"fields": "user"}, headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer ")
    error = response.json()["error"]
    assert error["status"] == "UNAUTHENTICATED" and error["errors"][0]["reason"] == "authError"
    # No fault armed any more: the sandbox itself now refuses the token.
    again = httpx.get(f"{server.url}/drive/v3/about", params={"fields": "user"}, headers=headers)
    assert again.status_code == 401 and state.requests[-1].fault is None


def test_invalid_grant_fails_the_refresh(state: SandboxState, service: Resource) -> None:
    state.add_fault(FaultKind.EXPIRED_TOKEN, ABOUT)
    state.add_fault(FaultKind.INVALID_GRANT)
    with pytest.raises(RefreshError) as excinfo:
        service.about().get(fields="user").execute()
    assert excinfo.value.args[1] == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    assert not excinfo.value.retryable
    assert state.fault_counts() == {"expired_token": 1, "invalid_grant": 1}


def test_invalid_grant_leaves_code_exchanges_alone(state: SandboxState, server: SandboxServer) -> None:
    rule = state.add_fault(FaultKind.INVALID_GRANT)
    form = {"grant_type": "authorization_code", "code": "4/0Sbx-unknown", "client_id": "sandbox-client"}
    response = httpx.post(f"{server.url}/token", data={**form, "client_secret": "sandbox-secret"})
    assert response.json()["error_description"] == "Malformed auth code."  # the sandbox's own answer
    assert rule.injected == 0 and rule.matched == 0


# ------------------------------------------------------------------------------- Drive specifics
@pytest.mark.parametrize("status", [400, 404, 410])
def test_stale_page_token_is_what_the_provider_treats_as_stale(
    state: SandboxState, service: Resource, status: int
) -> None:
    start = service.changes().getStartPageToken().execute()["startPageToken"]
    state.add_fault(FaultKind.STALE_PAGE_TOKEN, status=status)
    error = http_error(service.changes().list(pageToken=start))
    assert error.status_code == status
    # The provider's rule: 404/410, or 400 naming pageToken.
    assert status in (404, 410) or error.error_details[0]["location"] == "pageToken"
    assert "changes" in service.changes().list(pageToken=start).execute()  # startPageToken was not hit


def test_export_too_large_has_drives_message(state: SandboxState, service: Resource, corpus: list[CorpusFile]) -> None:
    doc_id = state.seeded_ids[index_of(corpus, "google_doc")]  # type: ignore[attr-defined]
    state.add_fault(FaultKind.EXPORT_TOO_LARGE)
    error = http_error(service.files().export(fileId=doc_id, mimeType="text/plain"))
    assert error.status_code == 403 and error.reason == "This file is too large to be exported."
    assert error.error_details[0]["reason"] == "exportSizeLimitExceeded"
    assert not _should_retry_response(403, error.content)
    assert service.files().get(fileId=doc_id, fields="id").execute() == {"id": doc_id}  # metadata untouched


# ------------------------------------------------------------------------------ scripts and rates
def test_a_script_fails_exactly_the_next_n_requests(state: SandboxState, service: Resource) -> None:
    rule = state.add_fault(FaultKind.SERVER_ERROR, ABOUT, times=3)
    assert about_outcomes(service, 5) == [True, True, True, False, False]
    assert (rule.matched, rule.injected) == (3, 3)  # disarmed once used up
    assert state.fault_counts() == {"server_error": 3}
    state.clear_faults()
    assert state.fault_counts() == {}


def test_rate_faults_repeat_for_a_seed_at_about_the_rate(state: SandboxState, service: Resource) -> None:
    def run(seed: int) -> list[bool]:
        state.clear_faults()
        rule = state.add_fault(FaultKind.RATE_LIMIT_429, ABOUT, rate=0.25, seed=seed)
        outcomes = about_outcomes(service, 120)
        assert rule.matched == 120 and rule.injected == sum(outcomes) == state.fault_counts()["rate_limit_429"]
        return outcomes

    first = run(seed=11)
    assert run(seed=11) == first
    assert run(seed=12) != first
    assert 0.15 <= sum(first) / len(first) <= 0.35


def test_a_rate_rules_hits_do_not_depend_on_other_rules(state: SandboxState, service: Resource) -> None:
    alone = state.add_fault(FaultKind.SERVER_ERROR, ABOUT, rate=0.3, seed=5)
    hits_alone = about_outcomes(service, 30)
    state.clear_faults()
    state.add_fault(FaultKind.RATE_LIMIT_403, ABOUT, times=3)  # tried first, fires on the first three
    shadowed = state.add_fault(FaultKind.SERVER_ERROR, ABOUT, rate=0.3, seed=5)
    about_outcomes(service, 30)
    faults = [r.fault for r in state.requests_to(ABOUT)[-30:]]
    assert faults[:3] == ["rate_limit_403"] * 3
    assert [f == "server_error" for f in faults[3:]] == hits_alone[3:]
    assert shadowed.matched == alone.matched == 30


def test_parameters_are_checked_per_kind(state: SandboxState) -> None:
    with pytest.raises(TypeError, match="seconds"):
        state.add_fault(FaultKind.RATE_LIMIT_429, seconds=1)
    with pytest.raises(ValueError, match="reason"):
        state.add_fault(FaultKind.RATE_LIMIT_403, reason="forbidden")
    with pytest.raises(ValueError, match="status"):
        state.add_fault(FaultKind.STALE_PAGE_TOKEN, status=500)
    with pytest.raises(ValueError, match="rate"):
        state.add_fault(FaultKind.DROP, rate=1.5)
    with pytest.raises(TypeError, match="status"):
        state.add_fault(FaultKind.HTTP_ERROR, r"^/drive/")
    with pytest.raises(ValueError):
        state.add_fault("no_such_kind")
    assert state.fault_counts() == {}
