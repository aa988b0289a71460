"""Shared plumbing of the store's table groups: transactions, account lookup, dialect upserts, events."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from connectors_pipeline.store import schema as t
from connectors_pipeline.store.cipher import KeyRing
from connectors_pipeline.store.database import writer
from connectors_pipeline.store.records import AccountNotFound, LeaseLost


@dataclass(frozen=True)
class AccountRef:
    """The columns most operations need to scope a query and label an event."""

    id: int
    partition_key: str
    tenant_id: str
    user_id: str
    provider: str


@dataclass(frozen=True)
class Fence:
    """The lease a block of sync writes requires (see LeasesMixin.fenced): the run, and the lease
    holder column's value while that run (in this process) holds it."""

    run: str
    encoded: str


LOCK_CHUNK = 500  # item ids per locking SELECT: a bounded IN list

# Partition key -> the fence of the run whose step is writing it, in this thread (or task).
_FENCES: ContextVar[Mapping[str, Fence]] = ContextVar("connectors_store_fences", default=MappingProxyType({}))


class StoreBase:
    engine: sa.Engine
    keyring: KeyRing | None

    def __init__(self, engine: sa.Engine, keyring: KeyRing | None):
        self.engine = engine
        self.keyring = keyring
        self._writer = writer(engine)

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        """A read transaction (one consistent snapshot on both dialects)."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A write transaction: committed on success, rolled back on any exception."""
        with self._writer.begin() as conn:
            yield conn

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT, which has on_conflict_do_update / on_conflict_do_nothing."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def _account(self, conn: sa.Connection, partition_key: str, *, lock: bool = False) -> AccountRef:
        a = t.connector_accounts
        query = sa.select(a.c.id, a.c.partition_key, a.c.tenant_id, a.c.user_id, a.c.provider).where(
            a.c.partition_key == partition_key
        )
        if lock:
            # Serialises concurrent writers of the same account on PostgreSQL (no-op on SQLite,
            # where BEGIN IMMEDIATE already serialises all writers).
            query = query.with_for_update()
        row = conn.execute(query).one_or_none()
        if row is None:
            raise AccountNotFound(partition_key)
        return AccountRef(*row)

    def _lock_items(self, conn: sa.Connection, account: AccountRef, external_ids: list[str]) -> dict[str, sa.Row]:
        """The items' rows by external id, locked for update until the transaction ends (PostgreSQL;
        SQLite's writer lock covers them already), in id order so two writers never deadlock."""
        i = t.connector_items
        wanted = sorted(set(external_ids))
        rows: dict[str, sa.Row] = {}
        for start in range(0, len(wanted), LOCK_CHUNK):
            query = (
                sa.select(i)
                .where(i.c.account_id == account.id)
                .where(i.c.external_id.in_(wanted[start : start + LOCK_CHUNK]))
                .order_by(i.c.external_id)
                .with_for_update()
            )
            rows.update((row.external_id, row) for row in conn.execute(query))
        return rows

    def _check_fence(self, conn: sa.Connection, account: AccountRef) -> None:
        """Inside a `fenced` block for the account: refuse the write (LeaseLost) unless the run still
        holds the account's sync lease, and keep holding the lease row (shared) until this transaction
        ends, so a takeover (acquire_sync_lease locks the row for update) waits for it: no write of a
        run lands after another run took its account over. Outside a fenced block: nothing to check.
        (SQLite: BEGIN IMMEDIATE already serialises this transaction with any takeover.)"""
        fence = _FENCES.get().get(account.partition_key)
        if fence is None:
            return
        a = t.connector_accounts
        current = conn.execute(
            sa.select(a.c.sync_lease_holder).where(a.c.id == account.id).with_for_update(read=True)
        ).scalar_one()
        if current != fence.encoded:
            # The run part of the holder column (see leases.LeaseHolder), for the message.
            raise LeaseLost(account.partition_key, fence.run, current.split(" ", 1)[0] if current else None)

    def _retire_document(self, conn: sa.Connection, account: AccountRef, external_id: str, reason: str) -> int | None:
        """Mark the item's live vault document deleted with the reason (kept, never dropped); log it."""
        d = t.vault_documents
        now = t.utcnow()
        document_id = conn.execute(
            sa.update(d)
            .where(d.c.account_id == account.id)
            .where(d.c.external_id == external_id)
            .where(d.c.deleted_at.is_(None))
            .values(deleted_at=now, deleted_reason=reason, updated_at=now)
            .returning(d.c.id)
        ).scalar_one_or_none()
        if document_id is not None:
            context = {"external_id": external_id, "reason": reason, "document_id": document_id}
            self._log(conn, "item_deleted", account, context)
        return document_id

    def _log(
        self,
        conn: sa.Connection,
        event: str,
        account: AccountRef | None,
        context: dict[str, Any] | None,
    ) -> None:
        conn.execute(
            sa.insert(t.activity_log).values(
                tenant_id=account.tenant_id if account else None,
                user_id=account.user_id if account else None,
                account_id=account.id if account else None,
                event=event,
                context=dict(context or {}),
                created_at=t.utcnow(),
            )
        )
