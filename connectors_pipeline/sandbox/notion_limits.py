"""Notion's request limit, emulated: a token bucket per access token, off unless the sandbox sets one.

Notion allows "an average of three requests per second" per connection with some bursts (reference
§4.4). `state.notion_rate_limit = (per_second, burst)` turns the bucket on; past it a request gets
429 `rate_limited` with an integer Retry-After, and `state.notion_rate_limited` counts the refusals.
Buckets run on real time: the limit is about how fast a client really sends.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass
class TokenBucket:
    tokens: float
    at: float  # time.monotonic() of the last refill

    def take(self, per_second: float, burst: float, now: float) -> float:
        """0.0 when a request may pass (and takes its token), else the seconds until one may."""
        self.tokens = min(burst, self.tokens + (now - self.at) * per_second)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / per_second


def retry_after_header(wait: float) -> str:
    """Notion sends whole seconds; round up so a client that obeys it finds a token waiting."""
    return str(max(1, math.ceil(wait)))


class NotionRateLimiter:
    """The buckets of one sandbox, by access token."""

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}

    def wait_for(self, token: str, limit: tuple[float, float] | None) -> float:
        if limit is None:
            return 0.0
        per_second, burst = limit
        now = time.monotonic()
        bucket = self._buckets.get(token)
        if bucket is None:
            bucket = self._buckets[token] = TokenBucket(max(burst, 1.0), now)
        return bucket.take(per_second, max(burst, 1.0), now)

    def reset(self) -> None:
        self._buckets.clear()
