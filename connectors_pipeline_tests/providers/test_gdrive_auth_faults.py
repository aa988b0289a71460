"""Token refresh and persistence, revoked grants, rate limits and transport faults, over real HTTP."""

from __future__ import annotations

import io
import threading
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors_pipeline.domain.errors import (
    AuthExpiredError,
    AuthRevokedError,
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    TransientError,
)
from connectors_pipeline.providers.base import Scope
from connectors_pipeline.providers.google_drive import DEFAULT_EXPORT_PLAN


def _assert_no_secret(error: BaseException, secrets: list[str]) -> None:
    text = "".join(traceback.format_exception(error)) + repr(error) + str(error)
    for secret in secrets:
        assert secret not in text


def test_server_side_expiry_refreshes_once_and_saves_the_new_token(sandbox: Any) -> None:
    provider = sandbox.provider()
    provider.profile()
    assert sandbox.saved == []  # nothing refreshed, nothing saved
    sandbox.state.expire_access_tokens(sandbox.email)
    sandbox.state.reset_requests()
    provider.profile()
    assert len(sandbox.state.requests_to(r"^/token$", "POST")) == 1
    assert [r.status for r in sandbox.state.requests_to(r"/drive/v3/about")] == [401, 200]
    (saved,) = sandbox.saved
    assert saved.access_token.get_secret_value() != sandbox.tokens.access_token.get_secret_value()
    assert saved.refresh_token == sandbox.tokens.refresh_token  # Google keeps the refresh token
    assert saved.expiry is not None and saved.expiry > datetime.now(UTC).replace(tzinfo=None)


def test_locally_expired_token_is_refreshed_before_the_call(sandbox: Any) -> None:
    stale = sandbox.tokens.model_copy(update={"expiry": datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)})
    sandbox.state.reset_requests()
    sandbox.provider(tokens=stale).profile()
    assert [r.path for r in sandbox.state.requests if r.path != "/discovery/v1/apis/drive/v3/rest"][:2] == [
        "/token",
        "/drive/v3/about",
    ]
    assert len(sandbox.saved) == 1


def test_refresh_while_downloading_from_several_threads(sandbox: Any) -> None:
    drive = sandbox.drive
    blobs = {drive.create_file(f"f{i}.bin", None, "application/pdf", bytes([i]) * 50_000): i for i in range(6)}
    provider = sandbox.provider(download_chunk_bytes=8192)
    items = {item.external_id: item for item in provider.snapshot(Scope()).items}
    sandbox.state.expire_access_tokens(sandbox.email)
    results: dict[str, bytes] = {}
    errors: list[BaseException] = []

    def work(file_id: str) -> None:
        try:
            out = io.BytesIO()
            provider.fetch(items[file_id], DEFAULT_EXPORT_PLAN, out)
            results[file_id] = out.getvalue()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(fid,)) for fid in blobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert results == {fid: bytes([i]) * 50_000 for fid, i in blobs.items()}
    assert sandbox.saved, "the refreshed token was persisted"
    tokens = {t.access_token.get_secret_value() for t in sandbox.saved}
    assert provider.current_tokens().access_token.get_secret_value() in tokens


def test_revoked_grant_is_permanent(sandbox: Any) -> None:
    provider = sandbox.provider()
    provider.profile()
    sandbox.state.revoke_user_grants(sandbox.email)
    with pytest.raises(AuthRevokedError) as info:
        provider.profile()
    _assert_no_secret(info.value, sandbox.secrets())


def test_invalid_grant_at_refresh_is_permanent(sandbox: Any) -> None:
    sandbox.state.expire_access_tokens(sandbox.email)
    sandbox.state.inject_fault(r"^/token", 400, "invalid_grant")
    with pytest.raises(AuthRevokedError, match="invalid_grant"):
        sandbox.provider().profile()


@pytest.mark.parametrize(
    ("status", "reason", "retry_after", "expected"),
    [
        (429, "rateLimitExceeded", 7, RateLimitedError),
        (403, "userRateLimitExceeded", None, RateLimitedError),
        (503, "backendError", None, TransientError),
        (500, "internalError", None, TransientError),
    ],
)
def test_api_faults_are_typed(
    sandbox: Any, status: int, reason: str, retry_after: float | None, expected: type
) -> None:
    provider = sandbox.provider()
    sandbox.state.inject_fault(r"/drive/v3/about", status, reason, retry_after=retry_after)
    with pytest.raises(expected) as info:
        provider.profile()
    assert isinstance(info.value, ConnectorError)
    assert reason in str(info.value)
    if retry_after is not None:
        assert info.value.retry_after == retry_after
    _assert_no_secret(info.value, sandbox.secrets())
    assert len(sandbox.state.requests_to(r"/drive/v3/about")) == 1  # no retries in the provider
    provider.profile()  # the fault was one-shot; the provider still works


def test_faults_mid_listing_and_mid_download(sandbox: Any) -> None:
    drive = sandbox.drive
    drive.create_file("big.pdf", None, "application/pdf", b"x" * 30_000)
    provider = sandbox.provider(download_chunk_bytes=10_000)
    sandbox.state.inject_fault(r"^/drive/v3/files\?", 429, "rateLimitExceeded", retry_after=3)
    with pytest.raises(RateLimitedError):
        list(provider.snapshot(Scope()).items)
    (item,) = list(provider.snapshot(Scope()).items)
    sandbox.state.inject_fault(rf"/files/{item.external_id}\?", 500, "backendError")
    with pytest.raises(TransientError):
        provider.fetch(item, DEFAULT_EXPORT_PLAN, io.BytesIO())
    out = io.BytesIO()
    provider.fetch(item, DEFAULT_EXPORT_PLAN, out)
    assert out.getvalue() == b"x" * 30_000


def test_unreachable_server_is_transient(sandbox: Any) -> None:
    provider = sandbox.provider()
    provider.profile()
    sandbox.server.stop()
    with pytest.raises(TransientError) as info:
        provider.profile()
    _assert_no_secret(info.value, sandbox.secrets())


def test_errors_never_carry_tokens(sandbox: Any) -> None:
    provider = sandbox.provider()
    failures: list[BaseException] = []
    for status, reason in [(404, "notFound"), (401, "authError"), (400, "badRequest"), (403, "forbidden")]:
        sandbox.state.inject_fault(r"/drive/v3/about", status, reason, times=3)
        with pytest.raises(ConnectorError) as info:
            provider.profile()
        sandbox.state.clear_faults()
        failures.append(info.value)
    assert isinstance(failures[0], NotFoundError) and isinstance(failures[1], AuthExpiredError)
    for failure in failures:
        _assert_no_secret(failure, sandbox.secrets())
