"""Retries with exponential backoff and full jitter that honour the provider's Retry-After.

Only TransientError is retried (5xx, timeouts, resets, truncated bodies, rate limits); everything
else (404, invalid_grant, export too large) is permanent and surfaces at once. Backoff is tenacity's
`wait_random_exponential`: a uniform draw between 0 and min(cap, base * 2^attempt), which spreads
the retries of many threads and runs that failed together.
"""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from connectors_pipeline.domain.errors import ConfigurationError, TransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetrySettings:
    attempts: int = 5  # tries in all, the first included
    base_seconds: float = 0.5  # the first backoff draws from [0, base]
    max_backoff_seconds: float = 20.0
    retry_after_cap_seconds: float = 60.0  # a longer Retry-After is left to Dagster's run retry
    request_timeout_seconds: float = 60.0  # a request silent this long is a transient failure

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> RetrySettings:
        default = cls()
        names = {
            "attempts": "CONNECTORS_RETRY_ATTEMPTS",
            "base_seconds": "CONNECTORS_RETRY_BASE_SECONDS",
            "max_backoff_seconds": "CONNECTORS_RETRY_MAX_BACKOFF_SECONDS",
            "retry_after_cap_seconds": "CONNECTORS_RETRY_AFTER_CAP_SECONDS",
            "request_timeout_seconds": "CONNECTORS_REQUEST_TIMEOUT_SECONDS",
        }
        values = {}
        for field_name, variable in names.items():
            kind = type(getattr(default, field_name))
            try:
                values[field_name] = kind(env.get(variable, getattr(default, field_name)))
            except ValueError:
                raise ConfigurationError(f"{variable} must be a number") from None
        return cls(**values)

    def once(self) -> RetrySettings:
        """The same settings without retries: for callers that poll again soon anyway (the change sensor)."""
        return dataclasses.replace(self, attempts=1)


def is_retryable(exc: BaseException, settings: RetrySettings) -> bool:
    """Transient, and not a wait longer than the cap: that one is the run's to wait (Dagster's retry)."""
    if not isinstance(exc, TransientError) or not getattr(exc, "retry_here", True):
        return False
    return (exc.retry_after or 0.0) <= settings.retry_after_cap_seconds


def backoff(settings: RetrySettings) -> Callable[[tenacity.RetryCallState], float]:
    jitter = tenacity.wait_random_exponential(multiplier=settings.base_seconds, max=settings.max_backoff_seconds)

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        after = getattr(exc, "retry_after", None)
        if after is not None:
            # The provider's wait is a minimum; a little jitter keeps waiting threads from returning together.
            return after + random.uniform(0, settings.base_seconds)
        return jitter(state)

    return wait


def retrying(settings: RetrySettings, before_sleep: Callable[[tenacity.RetryCallState], None]) -> tenacity.Retrying:
    """A tenacity controller for one call; the last failure is re-raised as it was."""
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda exc: is_retryable(exc, settings)),
        wait=backoff(settings),
        stop=tenacity.stop_after_attempt(max(settings.attempts, 1)),
        before_sleep=before_sleep,
        reraise=True,
    )
