"""The per-account token bucket: threads of a run share it and together stay under the rate."""

from __future__ import annotations

import threading
import time

from connectors_pipeline.resilience import CallGuard, RateLimiter, RetrySettings, shared_limiter


def test_threads_sharing_a_limiter_stay_under_its_rate():
    limiter = RateLimiter(per_second=20)  # bursts of up to 20
    started = time.monotonic()

    def take(n: int) -> None:
        for _ in range(n):
            limiter.acquire()

    threads = [threading.Thread(target=take, args=(15,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 60 requests: 20 at once, then 40 more at 20 a second.
    assert time.monotonic() - started >= 1.9


def test_each_account_has_one_limiter_in_the_process():
    assert shared_limiter("google_drive-a", 10) is shared_limiter("google_drive-a", 10)
    assert shared_limiter("google_drive-a", 10) is not shared_limiter("google_drive-b", 10)


def test_the_guard_reports_time_spent_throttled():
    guard = CallGuard(RetrySettings(attempts=1), limiter=RateLimiter(per_second=10, burst=1))
    for _ in range(4):
        guard.call(lambda: None)

    assert guard.stats.counts()["throttled_seconds"] >= 0.25
