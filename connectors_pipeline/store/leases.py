"""Sync leases: one run at a time syncs an account.

Two runs of one account (the change sensor's, a reconciliation's, a backfill's) would interleave
their listings, fetches and cursors: an edit fetched by one could be overwritten with older bytes
by the other, or a cursor committed past changes the other had not exported. The run that takes an
account's lease syncs it; another run skips the account and says so. A lease names its holder (a
Dagster root run id, shared by that run's retries) and expires, so a killed run cannot hold an
account forever; each step renews it.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from connectors_pipeline.store import schema as t
from connectors_pipeline.store.base import StoreBase

a = t.connector_accounts
LEASE_TTL = timedelta(hours=2)


class LeasesMixin(StoreBase):
    def acquire_sync_lease(self, partition_key: str, holder: str, ttl: timedelta = LEASE_TTL) -> bool:
        """Take or renew the account's lease; False when another holder's lease is still valid."""
        now = t.utcnow()
        with self._write() as conn:
            account = self._account(conn, partition_key, lock=True)
            taken = conn.execute(
                sa.update(a)
                .where(a.c.id == account.id)
                .where(
                    sa.or_(
                        a.c.sync_lease_holder.is_(None),
                        a.c.sync_lease_holder == holder,
                        a.c.sync_lease_expires_at < now,
                    )
                )
                .values(sync_lease_holder=holder, sync_lease_expires_at=now + ttl)
            ).rowcount
        return bool(taken)

    def sync_lease_holder(self, partition_key: str) -> str | None:
        """Who holds a valid lease on the account, if anyone."""
        with self._read() as conn:
            row = conn.execute(
                sa.select(a.c.sync_lease_holder, a.c.sync_lease_expires_at).where(a.c.partition_key == partition_key)
            ).one_or_none()
        if row is None or row.sync_lease_holder is None or row.sync_lease_expires_at < t.utcnow():
            return None
        return row.sync_lease_holder

    def release_sync_lease(self, partition_key: str, holder: str) -> None:
        with self._write() as conn:
            conn.execute(
                sa.update(a)
                .where(a.c.partition_key == partition_key)
                .where(a.c.sync_lease_holder == holder)
                .values(sync_lease_holder=None, sync_lease_expires_at=None)
            )
