"""The one resilience layer every provider call goes through: retries, a rate limiter, a circuit breaker."""

from connectors_pipeline.resilience.breaker import BreakerSettings, CircuitBreaker, CircuitOpenError
from connectors_pipeline.resilience.guard import CallGuard, ResilienceStats
from connectors_pipeline.resilience.limiter import RateLimiter, shared_limiter
from connectors_pipeline.resilience.retry import RetrySettings

__all__ = [
    "BreakerSettings",
    "CallGuard",
    "CircuitBreaker",
    "CircuitOpenError",
    "RateLimiter",
    "ResilienceStats",
    "RetrySettings",
    "shared_limiter",
]
