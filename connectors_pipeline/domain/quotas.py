"""Sync quotas from CONNECTORS_MAX_* variables: files per job, and concurrent jobs per user and provider.

Both are read when a run starts, so a change applies from the next run. Neither loses work: files
over the per-job quota stay pending for the next run, and an account over the concurrency quota is
skipped with a reason and synced by a later run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors_pipeline.domain.errors import ConfigurationError, ConnectorError

FILES_PER_JOB_ENV = "CONNECTORS_MAX_FILES_PER_JOB"
CONCURRENT_JOBS_ENV = "CONNECTORS_MAX_CONCURRENT_JOBS_PER_USER"


def _limit(env: Mapping[str, str], variable: str) -> int | None:
    raw = env.get(variable, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigurationError(f"{variable} must be a whole number of at least 1 (unset: no limit), got {raw!r}")
    return value


@dataclass(frozen=True)
class SyncQuotas:
    """None means no limit."""

    max_files_per_job: int | None = None
    max_concurrent_jobs_per_user: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SyncQuotas:
        return cls(_limit(env, FILES_PER_JOB_ENV), _limit(env, CONCURRENT_JOBS_ENV))


class ConcurrencyQuotaExceeded(ConnectorError):
    """Starting this account's sync would run more jobs at once than its user may, for its provider."""

    def __init__(self, running: int, limit: int):
        super().__init__(
            f"{running} other sync(s) of this user's accounts of the provider are running and "
            f"{CONCURRENT_JOBS_ENV} is {limit}; left for a later run"
        )
        self.running = running
        self.limit = limit
