"""Delta cursors, sync job rows, the activity log and the names its events refer to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from connectors_pipeline.domain.principal import AccountScope
from connectors_pipeline.store import schema as t
from connectors_pipeline.store.base import StoreBase
from connectors_pipeline.store.leases import LeaseHolder, this_process
from connectors_pipeline.store.records import ActivityRecord, JobRecord, LeaseLost
from connectors_pipeline.store.visibility import account_id_in_scope, owned_by, within

a = t.connector_accounts
c = t.connector_cursors
j = t.connector_jobs
log = t.activity_log
d = t.vault_documents
i = t.connector_items


def _source_match(source_id: int | None) -> sa.ColumnElement[bool]:
    return c.c.source_id.is_(None) if source_id is None else c.c.source_id == source_id


def _job_record(row: sa.Row[Any]) -> JobRecord:
    return JobRecord(
        id=row.id,
        partition_key=row.partition_key,
        provider=row.provider,
        dagster_run_id=row.dagster_run_id,
        job_type=row.job_type,
        status=row.status,
        attempts=row.attempts,
        counts=dict(row.counts or {}),
        error=row.error,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


class ActivityMixin(StoreBase):
    # -- cursors --------------------------------------------------------------------------------

    def get_cursor(self, partition_key: str, source_id: int | None = None) -> str | None:
        """The committed cursor (a staged one does not count until committed)."""
        with self._read() as conn:
            account = self._account(conn, partition_key)
            return conn.execute(
                sa.select(c.c.value).where(c.c.account_id == account.id).where(_source_match(source_id))
            ).scalar_one_or_none()

    def set_cursor(self, partition_key: str, value: str, source_id: int | None = None) -> None:
        """Advance the cursor; call only once the changes it covers are durably in the vault."""
        with self._write() as conn:
            self._upsert_cursor(conn, partition_key, source_id, value=value)

    def stage_cursor(
        self, partition_key: str, value: str, source_id: int | None = None, *, holder: str | None = None
    ) -> None:
        """Remember a cursor taken before a sweep, without advancing the committed one yet.

        `holder` names the run staging it (its lease holder id); only that run can commit it. There is
        one staged cursor per account: the lease makes one run at a time stage and commit it, and a
        run that lost its lease can stage nothing (see `fenced`).
        """
        with self._write() as conn:
            self._upsert_cursor(conn, partition_key, source_id, staged_value=value, staged_by=holder)

    def commit_staged_cursor(
        self, partition_key: str, holder: str | None = None, source_id: int | None = None
    ) -> str | None:
        """Promote the staged cursor to the committed one; returns the committed cursor.

        With `holder` (the pipeline's case) a compare-and-set: the cursor is committed only when that
        run staged it and, in this process, still holds the account's sync lease. A run whose lease
        was taken over commits nothing: the refusal is logged (`connector_cursor_commit_refused`) and
        LeaseLost raised. Nothing staged by `holder` (its listing took no cursor) commits nothing.
        Without `holder`, whatever is staged is committed (tools and tests that hold no lease).
        """
        current: str | None = None
        holds = True
        with self._write() as conn:
            # Locked: a takeover (acquire_sync_lease) waits until this commit is done, or comes first.
            account = self._account(conn, partition_key, lock=holder is not None)
            where = sa.and_(c.c.account_id == account.id, _source_match(source_id))
            promote = sa.update(c).where(where).where(c.c.staged_value.is_not(None))
            if holder is not None:
                current = conn.execute(sa.select(a.c.sync_lease_holder).where(a.c.id == account.id)).scalar_one()
                holds = current == LeaseHolder(holder, this_process()).encode()
                promote = promote.where(c.c.staged_by == holder)
            if holds:
                conn.execute(
                    promote.values(
                        value=c.c.staged_value,
                        committed_by=c.c.staged_by,
                        staged_value=None,
                        staged_by=None,
                        updated_at=t.utcnow(),
                    )
                )
            committed = conn.execute(sa.select(c.c.value).where(where)).scalar_one_or_none()
        if not holds:
            now_held_by = LeaseHolder.decode(current).run if current else None
            context = {"run_id": holder, "lease_holder": now_held_by}
            self.log_activity("connector_cursor_commit_refused", partition_key=partition_key, context=context)
            raise LeaseLost(partition_key, holder, now_held_by)
        return committed

    def _upsert_cursor(
        self, conn: sa.Connection, partition_key: str, source_id: int | None, **values: str | None
    ) -> None:
        account = self._account(conn, partition_key)
        self._check_fence(conn, account)
        if source_id is not None:
            owner = conn.execute(
                sa.select(t.connector_sources.c.account_id).where(t.connector_sources.c.id == source_id)
            ).scalar_one_or_none()
            if owner != account.id:
                raise ValueError(f"source {source_id} does not belong to account {partition_key}")
        now = t.utcnow()
        stmt = self._insert(c).values(account_id=account.id, source_id=source_id, updated_at=now, **values)
        # The conflict target names the partial unique index that applies (see schema.py).
        if source_id is None:
            target: dict[str, Any] = dict(index_elements=[c.c.account_id], index_where=c.c.source_id.is_(None))
        else:
            target = dict(index_elements=[c.c.account_id, c.c.source_id], index_where=c.c.source_id.is_not(None))
        updates = {k: stmt.excluded[k] for k in (*values, "updated_at")}
        conn.execute(stmt.on_conflict_do_update(**target, set_=updates))

    # -- jobs -----------------------------------------------------------------------------------

    def start_job(self, partition_key: str | None, *, run_id: str | None, job_type: str, attempt: int = 1) -> int:
        """A `running` job row; a retry of the same Dagster run (same run id, account and type)
        reuses its row and records the attempt number instead of adding a row."""
        now = t.utcnow()
        with self._write() as conn:
            account = self._account(conn, partition_key, lock=True) if partition_key else None
            account_id = account.id if account else None
            existing = None
            if run_id is not None:
                existing = conn.execute(
                    sa.select(j.c.id)
                    .where(j.c.dagster_run_id == run_id)
                    .where(j.c.job_type == job_type)
                    .where(j.c.account_id.is_(None) if account_id is None else j.c.account_id == account_id)
                    .order_by(j.c.id.desc())
                    .limit(1)
                ).scalar_one_or_none()
            if existing is not None:
                conn.execute(
                    sa.update(j)
                    .where(j.c.id == existing)
                    .values(status="running", attempts=attempt, error=None, finished_at=None)
                )
                return existing
            return conn.execute(
                sa.insert(j)
                .values(
                    account_id=account_id,
                    dagster_run_id=run_id,
                    job_type=job_type,
                    status="running",
                    attempts=attempt,
                    counts={},
                    started_at=now,
                )
                .returning(j.c.id)
            ).scalar_one()

    def find_job(self, partition_key: str, run_id: str) -> JobRecord | None:
        """The newest job row of this account in this Dagster run, whatever its status."""
        query = (
            sa.select(j, a.c.partition_key, a.c.provider)
            .join(a, a.c.id == j.c.account_id)
            .where(a.c.partition_key == partition_key)
            .where(j.c.dagster_run_id == run_id)
            .order_by(j.c.id.desc())
            .limit(1)
        )
        with self._read() as conn:
            row = conn.execute(query).one_or_none()
        return _job_record(row) if row is not None else None

    def merge_job_counts(self, job_id: int, counts: dict[str, Any]) -> None:
        """Add to a job's counts while it runs (each step reports what it did)."""
        with self._write() as conn:
            current = conn.execute(sa.select(j.c.counts).where(j.c.id == job_id).with_for_update()).scalar_one()
            conn.execute(sa.update(j).where(j.c.id == job_id).values(counts={**(current or {}), **counts}))

    def finish_job(self, job_id: int, *, status: str, counts: dict[str, Any], error: str | None = None) -> None:
        with self._write() as conn:
            result = conn.execute(
                sa.update(j)
                .where(j.c.id == job_id)
                .values(status=status, counts=dict(counts), error=error, finished_at=t.utcnow())
            )
            if result.rowcount == 0:
                raise KeyError(f"no connector job {job_id}")

    def list_jobs(
        self, limit: int = 50, partition_key: str | None = None, *, scope: AccountScope | None = None
    ) -> list[JobRecord]:
        """Newest first; only this account's jobs when a partition key is given, only the scope's
        accounts' when a scope is (jobs of no account are nobody's: unscoped reads only)."""
        query = within(
            sa.select(j, a.c.partition_key, a.c.provider)
            .outerjoin(a, a.c.id == j.c.account_id)
            .order_by(j.c.id.desc())
            .limit(limit),
            j.c.account_id,
            scope,
        )
        with self._read() as conn:
            if partition_key is not None:
                query = query.where(j.c.account_id == account_id_in_scope(conn, partition_key, scope))
            return [_job_record(row) for row in conn.execute(query)]

    # -- activity -------------------------------------------------------------------------------

    def log_activity(
        self, event: str, *, partition_key: str | None = None, context: dict[str, Any] | None = None
    ) -> None:
        """Append an event; tenant and user come from the account when one is given.
        The context is stored as JSON and shown to people: never put secrets in it."""
        with self._write() as conn:
            account = self._account(conn, partition_key) if partition_key else None
            self._log(conn, event, account, context)

    def list_activity(
        self, limit: int = 50, partition_key: str | None = None, *, scope: AccountScope | None = None
    ) -> list[ActivityRecord]:
        """Newest first. An event records whose it is (tenant and user, from its account or from the
        person connecting one), and a scope keeps the events recorded as its own."""
        query = (
            sa.select(log, a.c.partition_key, a.c.provider)
            .outerjoin(a, a.c.id == log.c.account_id)
            .order_by(log.c.id.desc())
            .limit(limit)
        )
        if scope is not None:
            query = query.where(owned_by(scope, log.c.tenant_id, log.c.user_id))
        with self._read() as conn:
            if partition_key is not None:
                query = query.where(log.c.account_id == account_id_in_scope(conn, partition_key, scope))
            return [
                ActivityRecord(
                    id=row.id,
                    tenant_id=row.tenant_id,
                    user_id=row.user_id,
                    partition_key=row.partition_key,
                    provider=row.provider,
                    event=row.event,
                    context=dict(row.context or {}),
                    created_at=row.created_at,
                )
                for row in conn.execute(query)
            ]

    def document_titles(self, document_ids: Iterable[int], *, scope: AccountScope | None = None) -> dict[int, str]:
        """Vault document id -> title, deleted documents included; ids with no document (in the scope)
        are left out."""
        wanted = set(document_ids)
        if not wanted:
            return {}
        query = within(sa.select(d.c.id, d.c.title).where(d.c.id.in_(wanted)), d.c.account_id, scope)
        with self._read() as conn:
            return {row.id: row.title for row in conn.execute(query)}

    def item_names(
        self, refs: Iterable[tuple[str, str]], *, scope: AccountScope | None = None
    ) -> dict[tuple[str, str], str]:
        """(partition key, external id) -> the item's last seen name upstream; unknown items (or
        items outside the scope) are left out."""
        wanted = set(refs)
        if not wanted:
            return {}
        query = within(
            sa.select(a.c.partition_key, i.c.external_id, i.c.name)
            .join(a, a.c.id == i.c.account_id)
            .where(a.c.partition_key.in_({key for key, _ in wanted}))
            .where(i.c.external_id.in_({external_id for _, external_id in wanted})),
            i.c.account_id,
            scope,
        )
        with self._read() as conn:
            rows = conn.execute(query)
            # The two IN lists also match crossed pairs; keep only the pairs asked for.
            return {
                (row.partition_key, row.external_id): row.name
                for row in rows
                if (row.partition_key, row.external_id) in wanted
            }
