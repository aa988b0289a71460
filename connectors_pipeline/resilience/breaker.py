"""A circuit breaker per provider account, its state in the store so concurrent runs share it.

When an account's calls keep failing (the provider is down for it, or throttles it hard), hammering
on wastes the retries of every run and deepens a rate limit. After `threshold` failed calls in a row
the breaker opens: calls fail fast with CircuitOpenError until `cooldown` has passed, then one
caller probes; its success closes the breaker, its failure opens it again. State is read from the
store at most every `refresh_seconds` per process, so a healthy account costs no extra queries.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from connectors_pipeline.domain.errors import ConfigurationError, TransientError


@dataclass(frozen=True)
class BreakerRecord:
    """A breaker's shared state, as the store keeps it."""

    state: str  # closed | open | half_open
    consecutive_failures: int
    opened_at: datetime | None
    updated_at: datetime | None


CLOSED = BreakerRecord("closed", 0, None, None)


class CircuitOpenError(TransientError):
    """The account's breaker is open: the call was not made. The run may retry after `retry_after`."""

    retry_here = False  # waiting out a cooldown in a thread would only hold the run; Dagster retries it


class BreakerStore(Protocol):
    def breaker_state(self, partition_key: str) -> BreakerRecord: ...
    def record_breaker_failure(self, partition_key: str, threshold: int, error: str) -> BreakerRecord: ...
    def record_breaker_success(self, partition_key: str) -> None: ...
    def claim_breaker_probe(self, partition_key: str, cooldown: timedelta) -> bool: ...


@dataclass(frozen=True)
class BreakerSettings:
    threshold: int = 5  # calls in a row that failed after all their retries
    cooldown_seconds: float = 30.0
    refresh_seconds: float = 1.0  # how stale this process's view of the shared state may be

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> BreakerSettings:
        default = cls()
        try:
            return cls(
                threshold=int(env.get("CONNECTORS_BREAKER_THRESHOLD", default.threshold)),
                cooldown_seconds=float(env.get("CONNECTORS_BREAKER_COOLDOWN_SECONDS", default.cooldown_seconds)),
            )
        except ValueError:
            raise ConfigurationError(
                "CONNECTORS_BREAKER_THRESHOLD and CONNECTORS_BREAKER_COOLDOWN_SECONDS must be numbers"
            ) from None


class CircuitBreaker:
    def __init__(self, store: BreakerStore, partition_key: str, settings: BreakerSettings):
        self._store = store
        self._key = partition_key
        self._settings = settings
        self._lock = threading.Lock()
        self._state: BreakerRecord = CLOSED
        self._read_at = float("-inf")

    def before_call(self) -> None:
        """Return if the call may go ahead (closed, or this caller won the probe); else raise CircuitOpenError."""
        state = self._current()
        if state.state == "closed":
            return
        cooldown = timedelta(seconds=self._settings.cooldown_seconds)
        since = state.opened_at if state.state == "open" else state.updated_at
        remaining = (since + cooldown - datetime.now(UTC)).total_seconds() if since else 0.0
        # Only after the cooldown is the shared state asked for the probe: a rejection costs no write.
        if remaining <= 0 and self._store.claim_breaker_probe(self._key, cooldown):
            self._remember(BreakerRecord("half_open", state.consecutive_failures, state.opened_at, None))
            return
        raise CircuitOpenError(
            f"circuit open for this account after {state.consecutive_failures} failed calls",
            max(remaining, 1.0),
        )

    def record_success(self) -> None:
        """The provider answered (with data, or with a permanent error such as 404): it is up."""
        state = self._current()
        if state.consecutive_failures or state.state != "closed":
            self._store.record_breaker_success(self._key)
            self._remember(CLOSED)

    def record_failure(self, error: TransientError) -> None:
        """A call failed after all its retries."""
        self._remember(self._store.record_breaker_failure(self._key, self._settings.threshold, type(error).__name__))

    def _current(self) -> BreakerRecord:
        with self._lock:
            if time.monotonic() - self._read_at > self._settings.refresh_seconds:
                self._state, self._read_at = self._store.breaker_state(self._key), time.monotonic()
            return self._state

    def _remember(self, state: BreakerRecord) -> None:
        with self._lock:
            self._state, self._read_at = state, time.monotonic()
