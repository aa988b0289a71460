"""CallGuard: every provider request of an account goes through it — breaker, rate limiter, retries.

Providers translate their library's exceptions into domain errors (TransientError and its kin) and
hand each request to `guard.call`; the guard decides whether to make it, when, and how often.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import tenacity

from connectors_pipeline.domain.errors import ConnectorError, TransientError
from connectors_pipeline.resilience.breaker import CircuitBreaker, CircuitOpenError
from connectors_pipeline.resilience.limiter import RateLimiter
from connectors_pipeline.resilience.retry import RetrySettings, retrying

T = TypeVar("T")


@dataclass
class ResilienceStats:
    """What the guard did for one account: shown in job counts and by `connectors bench faults`."""

    retried: Counter[str] = field(default_factory=Counter)  # error type -> requests retried
    seconds_waited: float = 0.0  # backing off before retries
    seconds_throttled: float = 0.0  # waiting for the rate limiter
    rejected_by_breaker: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def record_retry(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        with self._lock:
            self.retried[type(exc).__name__] += 1
            self.seconds_waited += state.upcoming_sleep

    def record_throttle(self, seconds: float) -> None:
        if seconds:
            with self._lock:
                self.seconds_throttled += seconds

    def record_rejection(self) -> None:
        with self._lock:
            self.rejected_by_breaker += 1

    def counts(self) -> dict[str, float]:
        with self._lock:
            return {
                "requests_retried": sum(self.retried.values()),
                "retry_seconds": round(self.seconds_waited, 2),
                "throttled_seconds": round(self.seconds_throttled, 2),
                "rejected_by_breaker": self.rejected_by_breaker,
            }

    def take(self) -> dict[str, float]:
        """The counts so far, and start again from zero."""
        with self._lock:
            counts = self.counts()
            self.retried.clear()
            self.seconds_waited, self.seconds_throttled, self.rejected_by_breaker = 0.0, 0.0, 0
            return counts


class CallGuard:
    def __init__(
        self,
        retry: RetrySettings,
        *,
        limiter: RateLimiter | None = None,
        breaker: CircuitBreaker | None = None,
        stats: ResilienceStats | None = None,
    ):
        self.retry = retry
        self.limiter = limiter
        self.breaker = breaker
        self.stats = stats or ResilienceStats()

    def call(self, fn: Callable[[], T]) -> T:
        """`fn` under the breaker and limiter, retried on transient errors; permanent errors surface at
        once. The breaker counts calls, not attempts: one failure is a call whose retries all failed."""
        try:
            result = retrying(self.retry, self.stats.record_retry)(self._attempt, fn)
        except CircuitOpenError:
            self.stats.record_rejection()
            raise
        except TransientError as exc:
            if self.breaker is not None:
                self.breaker.record_failure(exc)
            raise
        except ConnectorError:
            if self.breaker is not None:
                self.breaker.record_success()  # a permanent answer (404, too large) is still an answer
            raise
        if self.breaker is not None:
            self.breaker.record_success()
        return result

    def _attempt(self, fn: Callable[[], T]) -> T:
        if self.breaker is not None:
            self.breaker.before_call()
        if self.limiter is not None:
            self.stats.record_throttle(self.limiter.acquire())
        return fn()


UNGUARDED = CallGuard(RetrySettings(attempts=1))
