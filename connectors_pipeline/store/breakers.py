"""Circuit breaker state in the store, so every run and process calling a provider for an account shares it.

closed → open after `threshold` consecutive failed calls (each failed after its retries);
open → half_open when one caller claims the probe after the cooldown; half_open → closed on the
probe's success, → open again on its failure. Transitions log `connector_breaker_opened` / `connector_breaker_closed`.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from connectors_pipeline.resilience.breaker import CLOSED, BreakerRecord
from connectors_pipeline.store import schema as t
from connectors_pipeline.store.base import StoreBase

b = t.connector_breakers


class BreakersMixin(StoreBase):
    def breaker_state(self, partition_key: str) -> BreakerRecord:
        with self._read() as conn:
            account = self._account(conn, partition_key)
            row = conn.execute(sa.select(b).where(b.c.account_id == account.id)).one_or_none()
        if row is None:
            return CLOSED
        return BreakerRecord(row.state, row.consecutive_failures, row.opened_at, row.updated_at)

    def record_breaker_failure(self, partition_key: str, threshold: int, error: str) -> BreakerRecord:
        """Count a failed call; open the breaker at `threshold` in a row, or again when a probe fails."""
        now = t.utcnow()
        with self._write() as conn:
            account = self._account(conn, partition_key, lock=True)
            row = conn.execute(sa.select(b).where(b.c.account_id == account.id)).one_or_none()
            failures = (row.consecutive_failures if row is not None else 0) + 1
            state = row.state if row is not None else "closed"
            opens = state == "half_open" or (state == "closed" and failures >= threshold)
            values = {
                "consecutive_failures": failures,
                "state": "open" if opens else state,
                "opened_at": now if opens else (row.opened_at if row is not None else None),
                "updated_at": now,
            }
            self._upsert_breaker(conn, account.id, values)
            if opens:
                self._log(conn, "connector_breaker_opened", account, {"failures": failures, "error": error})
        return BreakerRecord(values["state"], failures, values["opened_at"], now)

    def record_breaker_success(self, partition_key: str) -> None:
        """A call succeeded: the breaker closes (logged when it was not closed) and the count restarts."""
        now = t.utcnow()
        with self._write() as conn:
            account = self._account(conn, partition_key, lock=True)
            row = conn.execute(sa.select(b).where(b.c.account_id == account.id)).one_or_none()
            if row is None or (row.state == "closed" and row.consecutive_failures == 0):
                return
            values = {"consecutive_failures": 0, "state": "closed", "opened_at": None, "updated_at": now}
            self._upsert_breaker(conn, account.id, values)
            if row.state != "closed":
                self._log(conn, "connector_breaker_closed", account, {"was": row.state})

    def claim_breaker_probe(self, partition_key: str, cooldown: timedelta) -> bool:
        """True for the one caller that may probe an open breaker whose cooldown is over (or whose
        earlier probe never reported back within a cooldown: its process may have died)."""
        now = t.utcnow()
        with self._write() as conn:
            account = self._account(conn, partition_key, lock=True)
            claimed = conn.execute(
                sa.update(b)
                .where(b.c.account_id == account.id)
                .where(
                    sa.or_(
                        sa.and_(b.c.state == "open", b.c.opened_at <= now - cooldown),
                        sa.and_(b.c.state == "half_open", b.c.updated_at <= now - cooldown),
                    )
                )
                .values(state="half_open", updated_at=now)
            ).rowcount
        return bool(claimed)

    def _upsert_breaker(self, conn: sa.Connection, account_id: int, values: dict) -> None:
        stmt = self._insert(b).values(account_id=account_id, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=[b.c.account_id], set_=values))
