"""The circuit breaker's state lives in the store: every run and process of an account shares it."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from connectors_pipeline.domain.errors import NotFoundError, TransientError
from connectors_pipeline.resilience import BreakerSettings, CallGuard, CircuitBreaker, CircuitOpenError, RetrySettings
from connectors_pipeline.resilience.breaker import CLOSED

SETTINGS = BreakerSettings(threshold=3, cooldown_seconds=0.3, refresh_seconds=0.0)
RETRIED = RetrySettings(attempts=3, base_seconds=0.0, max_backoff_seconds=0.0)
ONCE = RetrySettings(attempts=1)


def failing():
    raise TransientError("HTTP 503")


def opened(store, key: str, settings: BreakerSettings = SETTINGS) -> CallGuard:
    """A guard whose breaker `threshold` failed calls have opened."""
    guard = CallGuard(ONCE, breaker=CircuitBreaker(store, key, settings))
    for _ in range(SETTINGS.threshold):
        with pytest.raises(TransientError):
            guard.call(failing)
    return guard


def events(store, partition_key):
    return [e.event for e in reversed(store.list_activity(partition_key=partition_key)) if "breaker" in e.event]


def test_it_opens_after_sustained_failures_fails_fast_and_a_probe_closes_it(store, account):
    key = account.partition_key
    guard = opened(store, key)
    assert store.breaker_state(key).state == "open"

    calls = []
    with pytest.raises(CircuitOpenError) as raised:
        guard.call(lambda: calls.append(1))
    assert calls == [] and 0 < raised.value.retry_after <= 1.0  # failed fast, says when to come back
    assert guard.stats.counts()["rejected_by_breaker"] == 1

    time.sleep(SETTINGS.cooldown_seconds)
    assert guard.call(lambda: "probe answered") == "probe answered"
    assert store.breaker_state(key).state == "closed"
    assert events(store, key) == ["connector_breaker_opened", "connector_breaker_closed"]


def test_a_failed_probe_opens_it_again(store, account):
    key = account.partition_key
    guard = opened(store, key)
    time.sleep(SETTINGS.cooldown_seconds)

    with pytest.raises(TransientError):
        guard.call(failing)  # the probe

    assert store.breaker_state(key).state == "open"
    with pytest.raises(CircuitOpenError):
        guard.call(lambda: None)
    assert events(store, key) == ["connector_breaker_opened", "connector_breaker_opened"]


def test_two_runs_share_the_breaker_and_only_one_caller_probes(store, account):
    key = account.partition_key
    first_run = opened(store, key)

    # Another run (another CircuitBreaker over the same store) sees the open breaker at once.
    second_run = CallGuard(ONCE, breaker=CircuitBreaker(store, key, SETTINGS))
    with pytest.raises(CircuitOpenError):
        second_run.call(lambda: None)

    time.sleep(SETTINGS.cooldown_seconds)
    release, probes, rejected = threading.Event(), [], []

    def slow_probe():
        probes.append(1)
        release.wait(5)

    def caller(guard):
        try:
            guard.call(slow_probe)
        except CircuitOpenError:
            rejected.append(1)

    threads = [threading.Thread(target=caller, args=(g,)) for g in (first_run, second_run) * 3]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    release.set()
    for thread in threads:
        thread.join()

    assert len(probes) == 1 and len(rejected) == 5
    assert store.breaker_state(key).state == "closed"


def test_successes_reset_the_count_so_scattered_failures_never_open_it(store, account):
    key = account.partition_key
    guard = CallGuard(ONCE, breaker=CircuitBreaker(store, key, SETTINGS))
    for _ in range(5):
        for _ in range(SETTINGS.threshold - 1):
            with pytest.raises(TransientError):
                guard.call(failing)
        guard.call(lambda: None)

    assert store.breaker_state(key).state == "closed" and events(store, key) == []


def test_a_probe_that_never_reports_back_is_taken_over_after_a_cooldown(store, account):
    key = account.partition_key
    for _ in range(SETTINGS.threshold):
        store.record_breaker_failure(key, SETTINGS.threshold, "TransientError")
    time.sleep(SETTINGS.cooldown_seconds)
    cooldown = timedelta(seconds=SETTINGS.cooldown_seconds)
    assert store.claim_breaker_probe(key, cooldown)  # then its process dies
    assert not store.claim_breaker_probe(key, cooldown)

    time.sleep(SETTINGS.cooldown_seconds)
    assert store.claim_breaker_probe(key, cooldown)


def test_a_probe_answered_with_a_permanent_error_closes_it(store, account):
    key = account.partition_key
    guard = opened(store, key)
    time.sleep(SETTINGS.cooldown_seconds)

    def gone():
        raise NotFoundError("HTTP 404")

    with pytest.raises(NotFoundError):
        guard.call(gone)  # the provider answered: it is up

    assert store.breaker_state(key).state == "closed"


def test_it_counts_calls_that_failed_after_their_retries_not_attempts(store, account):
    key = account.partition_key
    guard = CallGuard(RETRIED, breaker=CircuitBreaker(store, key, SETTINGS))
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) % RETRIED.attempts:
            raise TransientError("HTTP 503")  # fails twice, then answers
        return "ok"

    for _ in range(SETTINGS.threshold * 2):
        assert guard.call(flaky) == "ok"

    assert store.breaker_state(key) == CLOSED and guard.stats.counts()["requests_retried"] == 12
    with pytest.raises(TransientError):
        guard.call(failing)
    assert store.breaker_state(key).consecutive_failures == 1  # one call, three attempts


def test_a_rejection_while_open_writes_nothing(store, account, monkeypatch):
    key = account.partition_key
    guard = opened(store, key, BreakerSettings(threshold=3, cooldown_seconds=60, refresh_seconds=0.0))
    claims = []
    monkeypatch.setattr(store, "claim_breaker_probe", lambda *args: claims.append(args) or False)

    for _ in range(5):
        with pytest.raises(CircuitOpenError):
            guard.call(lambda: None)

    assert claims == []  # still cooling down: the shared state is only read
