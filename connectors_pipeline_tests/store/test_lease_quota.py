"""Taking a sync lease under CONNECTORS_MAX_CONCURRENT_JOBS_PER_USER: per user and provider, atomically."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from connectors_pipeline.domain.quotas import ConcurrencyQuotaExceeded
from connectors_pipeline.store import Store, schema
from connectors_pipeline_tests.store.conftest import connect


@pytest.fixture
def drives(store: Store) -> list[str]:
    """Three Drive accounts of Ann (tenant acme)."""
    return [connect(store, f"ann-{n}", tenant_id="acme", user_id="ann").partition_key for n in range(3)]


def test_a_third_sync_of_a_user_waits_while_two_run(store: Store, drives):
    first, second, third = drives
    assert store.acquire_sync_lease(first, "run-1", max_per_user=2)
    assert store.acquire_sync_lease(second, "run-2", max_per_user=2)

    with pytest.raises(ConcurrencyQuotaExceeded) as refused:
        store.acquire_sync_lease(third, "run-3", max_per_user=2)

    assert (refused.value.running, refused.value.limit) == (2, 2)
    assert "CONNECTORS_MAX_CONCURRENT_JOBS_PER_USER is 2" in str(refused.value)
    assert store.sync_lease_holder(third) is None
    assert store.user_syncs_running(third) == 2
    # Renewing a lease already held starts no new job: always allowed.
    assert store.acquire_sync_lease(first, "run-1", max_per_user=2)
    # Another run on a leased account is refused as before, not counted as a quota refusal.
    assert not store.acquire_sync_lease(first, "run-3", max_per_user=2)

    store.release_sync_lease(first, "run-1")
    assert store.acquire_sync_lease(third, "run-3", max_per_user=2)


def test_the_quota_is_per_user_tenant_and_provider(store: Store, drives):
    for n, key in enumerate(drives[:2]):
        assert store.acquire_sync_lease(key, f"run-{n}", max_per_user=2)
    amos = connect(store, "amos-1", tenant_id="acme", user_id="amos").partition_key
    ann_elsewhere = connect(store, "ann-9", tenant_id="globex", user_id="ann").partition_key
    ann_notion = connect(store, "ann-notion", tenant_id="acme", user_id="ann", provider="notion").partition_key

    for key in (amos, ann_elsewhere, ann_notion):
        assert store.acquire_sync_lease(key, f"run-{key}", max_per_user=2)


def test_a_killed_runs_expired_lease_does_not_count(store: Store, drives):
    first, second, third = drives
    accounts = schema.connector_accounts
    with store.engine.begin() as conn:  # what a run killed long ago leaves behind
        conn.execute(
            sa.update(accounts)
            .where(accounts.c.partition_key == first)
            .values(sync_lease_holder="killed-run", sync_lease_expires_at=schema.utcnow() - timedelta(minutes=5))
        )

    assert store.user_syncs_running(second) == 0
    assert store.acquire_sync_lease(second, "run-2", max_per_user=1)
    with pytest.raises(ConcurrencyQuotaExceeded):
        store.acquire_sync_lease(third, "run-3", max_per_user=1)


def test_runs_starting_together_never_exceed_the_quota(store: Store, drives):
    def take(key: str) -> bool:
        try:
            return store.acquire_sync_lease(key, f"run-{key}", max_per_user=1)
        except ConcurrencyQuotaExceeded:
            return False

    for _ in range(5):
        with ThreadPoolExecutor(max_workers=3) as pool:
            taken = list(pool.map(take, drives))
        assert taken.count(True) == 1
        for key in drives:
            store.release_sync_lease(key, f"run-{key}")
