"""What the change sensor needs of the sync quotas: work they held back, and room for more runs.

A quota never drops work: a job stopped at CONNECTORS_MAX_FILES_PER_JOB leaves its remaining items
pending, and an account skipped under CONNECTORS_MAX_CONCURRENT_JOBS_PER_USER keeps its changes in
the feed. Such a job is the reason for the next run (one run per job, so a long backlog is worked
through run after run even when the change feed stays quiet), and a tick starts no more runs for a
person than their quota has room for, so it does not launch runs only to see them skipped.
"""

from __future__ import annotations

from connectors_pipeline.defs.account_steps import JOB_TYPES
from connectors_pipeline.defs.sync_records import left_work_for_later
from connectors_pipeline.store import AccountRecord, JobRecord, Store
from connectors_pipeline.sync.services import SyncServices

MODE_OF_JOB_TYPE = {job_type: mode for mode, job_type in JOB_TYPES.items()}


def held_back_job(store: Store, partition_key: str) -> JobRecord | None:
    """The account's newest job, if a quota made it leave work for a later run."""
    newest = store.list_jobs(limit=1, partition_key=partition_key)
    return newest[0] if newest and left_work_for_later(newest[0]) else None


class RunRoom:
    """How many more syncs each person may start for the provider in this tick."""

    def __init__(self, services: SyncServices):
        self._store = services.store
        self._limit = services.quotas.max_concurrent_jobs_per_user
        self._left: dict[tuple[str, str], int] = {}

    def take(self, account: AccountRecord) -> bool:
        """Whether a run may be requested for this account now; counts it if so."""
        if self._limit is None:
            return True
        person = (account.tenant_id, account.user_id)
        if person not in self._left:
            self._left[person] = self._limit - self._store.user_syncs_running(account.partition_key)
        if self._left[person] <= 0:
            return False
        self._left[person] -= 1
        return True
