"""A token bucket per provider account, shared by every thread of every run in the process.

Hand-written because it is a dozen lines: pyrate-limiter starts a leaker thread per limiter, and
the change sensor alone builds one for each of a thousand accounts.
"""

from __future__ import annotations

import threading
import time


class RateLimiter:
    """At most `per_second` requests a second on average, in bursts of at most `burst`."""

    def __init__(self, per_second: float, burst: float | None = None):
        self.per_second = per_second
        self.burst = burst if burst is not None else max(1.0, per_second)
        self._tokens = self.burst
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until there is one; returns the seconds waited."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.per_second)
            self._updated = now
            self._tokens -= 1  # may go negative: later callers queue behind this one's wait
            wait = -self._tokens / self.per_second if self._tokens < 0 else 0.0
        if wait:
            time.sleep(wait)
        return wait


_limiters: dict[str, RateLimiter] = {}
_limiters_lock = threading.Lock()


def shared_limiter(key: str, per_second: float) -> RateLimiter:
    """One limiter per provider account and process (a few numbers each, no thread)."""
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None or limiter.per_second != per_second:
            limiter = _limiters[key] = RateLimiter(per_second)
        return limiter
