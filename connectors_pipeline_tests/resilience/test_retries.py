"""The real Drive client through the CallGuard: what is retried, how long it waits, what is not."""

from __future__ import annotations

import io
import time

import pytest

from connectors_pipeline.domain.errors import (
    AuthRevokedError,
    ExportTooLargeError,
    NotFoundError,
    RateLimitedError,
    TransientError,
)
from connectors_pipeline.resilience import CallGuard, RetrySettings
from connectors_pipeline.resilience.retry import backoff

FAST = RetrySettings(attempts=4, base_seconds=0.01, max_backoff_seconds=0.05, retry_after_cap_seconds=2.0)
ABOUT = r"^/drive/v3/about$"


def profile_with(sandbox, settings=FAST):
    guard = CallGuard(settings)
    return guard, sandbox.provider(guard=guard)


def about_requests(sandbox) -> int:
    return len(sandbox.state.requests_to(ABOUT))


@pytest.mark.parametrize(
    ("status", "reason"),
    [(429, "rateLimitExceeded"), (403, "userRateLimitExceeded"), (403, "rateLimitExceeded"), (500, None), (503, None)],
)
def test_transient_answers_are_retried_until_the_call_succeeds(sandbox, status, reason):
    guard, provider = profile_with(sandbox)
    sandbox.state.inject_fault(ABOUT, status, reason, times=2)

    assert provider.profile().email == sandbox.email
    assert about_requests(sandbox) == 3
    assert guard.stats.counts()["requests_retried"] == 2


def test_retry_after_is_honoured(sandbox):
    guard, provider = profile_with(sandbox)
    sandbox.state.inject_fault(ABOUT, 429, "rateLimitExceeded", times=1, retry_after=0.4)

    started = time.monotonic()
    provider.profile()

    assert time.monotonic() - started >= 0.4
    assert guard.stats.counts()["retry_seconds"] >= 0.4


def test_a_retry_after_beyond_the_cap_is_left_to_the_run(sandbox):
    guard, provider = profile_with(sandbox)
    sandbox.state.inject_fault(ABOUT, 429, "rateLimitExceeded", times=1, retry_after=30)

    with pytest.raises(RateLimitedError) as raised:
        provider.profile()

    assert raised.value.retry_after == 30 and about_requests(sandbox) == 1


def test_retries_are_bounded_and_the_last_error_surfaces(sandbox):
    guard, provider = profile_with(sandbox)
    sandbox.state.inject_fault(ABOUT, 503, times=10)

    with pytest.raises(TransientError, match="HTTP 503"):
        provider.profile()

    assert about_requests(sandbox) == FAST.attempts


def test_a_missing_file_fails_at_once(sandbox):
    guard, provider = profile_with(sandbox)
    sandbox.state.inject_fault(ABOUT, 404, "notFound", times=10)

    with pytest.raises(NotFoundError):
        provider.profile()

    assert guard.stats.counts()["requests_retried"] == 0


def test_a_revoked_grant_fails_at_once(sandbox):
    guard, provider = profile_with(sandbox)
    sandbox.state.revoke_user_grants(sandbox.email)
    sandbox.state.expire_access_tokens(sandbox.email)

    with pytest.raises(AuthRevokedError, match="reconnect"):
        provider.profile()

    refused = [r for r in sandbox.state.requests_to("^/token$") if r.status == 400]
    assert guard.stats.counts()["requests_retried"] == 0 and len(refused) == 1


def test_an_export_too_large_is_not_retried(sandbox):
    doc = sandbox.drive.create_file("Plan", None, "application/vnd.google-apps.document", b"plan")
    guard, provider = profile_with(sandbox)
    item = next(i for i in provider.snapshot(_root()).items if i.external_id == doc)
    sandbox.state.inject_fault(r"/export$", 403, "exportSizeLimitExceeded", times=10)

    with pytest.raises(ExportTooLargeError):
        provider.fetch(item, _plan(), io.BytesIO())

    assert len(sandbox.state.requests_to(r"/export$")) == len(_plan().targets[item.mime_type])
    assert guard.stats.counts()["requests_retried"] == 0


def test_a_download_cut_mid_body_is_retried_from_the_start_of_the_file(sandbox):
    body = bytes(range(256)) * 400
    file_id = sandbox.drive.create_file("big.bin", None, "text/plain", body)
    guard, provider = profile_with(sandbox)
    item = next(i for i in provider.snapshot(_root()).items if i.external_id == file_id)
    rule = sandbox.state.add_fault("drop", path=rf"/files/{file_id}$", times=1, keep=0.5)
    out = io.BytesIO(b"header")
    out.seek(0, io.SEEK_END)

    provider.fetch(item, _plan(), out)

    assert rule.injected == 1  # half the body was written, then the connection dropped
    assert out.getvalue() == b"header" + body and guard.stats.counts()["requests_retried"] == 1


def test_backoff_draws_full_jitter_under_the_cap():
    wait = backoff(RetrySettings(base_seconds=1.0, max_backoff_seconds=4.0))

    class Outcome:
        def exception(self):
            return TransientError("boom")

    class State:
        outcome = Outcome()

        def __init__(self, attempt):
            self.attempt_number = attempt

    draws = [wait(State(attempt)) for attempt in range(1, 8) for _ in range(200)]
    assert min(draws) >= 0 and max(draws) <= 4.0
    assert min(draws) < 0.1 and max(draws) > 3.5  # the whole range is used: full jitter, not equal jitter


def _root():
    from connectors_pipeline.providers.base import Scope

    return Scope()


def _plan():
    from connectors_pipeline.providers.google_drive import DEFAULT_EXPORT_PLAN

    return DEFAULT_EXPORT_PLAN
