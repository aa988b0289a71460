"""Sync leases: one run at a time syncs an account, and a run that dies does not block it.

Two runs of one account (the change sensor's, a reconciliation's, a backfill's) would interleave
their listings, fetches and cursors: an edit fetched by one could be overwritten with older bytes
by the other, or a cursor committed past changes the other had not exported. The run that takes an
account's lease syncs it; another run skips the account and says so.

A lease names its holder (a Dagster root run id, shared by that run's retries) and the process
holding it, and expires. A run killed outright (SIGKILL, OOM, a lost machine) releases nothing, so:

- the holding process renews the lease from a heartbeat thread, and the TTL is short (minutes): a
  holder that stops renewing, wherever it ran, frees the account within LEASE_TTL;
- on the holder's own machine (same boot and PID namespace, the usual SQLite deployment) a new run
  sees at once that the holder's process is gone (its pid no longer runs with the same start time)
  and takes the lease without waiting for the TTL. A live process is never taken for dead: a pid
  reused by another program only means waiting for the TTL.

The run that takes over from a dead holder marks that holder's `running` job rows failed
(`abandoned`), so the job history says what happened. Expiry compares the clocks of the machines
involved; they are assumed NTP-synchronised to well within LEASE_TTL.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from connectors_pipeline.domain.quotas import ConcurrencyQuotaExceeded
from connectors_pipeline.store import schema as t
from connectors_pipeline.store.base import _FENCES, AccountRef, Fence, StoreBase

a = t.connector_accounts
j = t.connector_jobs
LEASE_TTL = timedelta(minutes=2)
BEATS_PER_TTL = 4  # a holder whose store stalls (a busy SQLite, a slow network) still has three more tries
HOLDER_COLUMN_LENGTH = 100
ABANDONED = "abandoned: the run syncing this account stopped without finishing (its process was killed or lost)"


@dataclass(frozen=True)
class LeaseHolder:
    """What the holder column stores: `<run>` or `<run> <pid>.<start ticks>@<machine>`."""

    run: str
    process: str | None = None

    def encode(self) -> str:
        value = f"{self.run} {self.process}" if self.process else self.run
        # Without room for the process, the lease still works; only the early takeover is lost.
        return value if len(value) <= HOLDER_COLUMN_LENGTH else self.run

    @classmethod
    def decode(cls, value: str) -> LeaseHolder:
        run, _, process = value.partition(" ")
        return cls(run, process or None)


def _start_ticks(pid: int) -> str | None:
    """The process' start time (clock ticks since boot), or None for a zombie; OSError if there is none."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces and parentheses
    return None if fields[0] in ("Z", "X") else fields[19]


_identity: tuple[int, str | None] | None = None


def this_process() -> str | None:
    """`<pid>.<start ticks>@<machine>`, where machine names the boot and PID namespace, so two holders
    with the same machine see the same pids; None where /proc cannot tell (then leases only expire)."""
    global _identity
    pid = os.getpid()
    if _identity is None or _identity[0] != pid:  # recomputed in a forked child
        try:
            boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
            machine = hashlib.sha256(f"{boot} {os.readlink('/proc/self/ns/pid')}".encode()).hexdigest()[:12]
            _identity = (pid, f"{pid}.{_start_ticks(pid)}@{machine}")
        except (OSError, IndexError):
            _identity = (pid, None)
    return _identity[1]


def process_gone(process: str | None) -> bool:
    """Whether the named process has certainly ended; False whenever that cannot be known here."""
    me = this_process()
    if process is None or me is None:
        return False
    pid_and_start, _, machine = process.partition("@")
    if machine != me.partition("@")[2]:
        return False  # another machine or PID namespace: only the TTL can tell
    pid, _, started = pid_and_start.partition(".")
    if not pid.isdigit():
        return False
    try:
        return _start_ticks(int(pid)) != started
    except FileNotFoundError:
        pass
    except (OSError, IndexError):
        return False
    try:  # /proc may hide other users' processes (hidepid); signal 0 still tells whether the pid exists
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass
    return False


class _Heartbeat:
    """Renews one lease every TTL / BEATS_PER_TTL until stopped or the lease is found lost."""

    def __init__(self, store: LeasesMixin, partition_key: str, encoded: str, ttl: timedelta):
        self.encoded = encoded
        self.stopped = threading.Event()
        self._args = (store, partition_key, encoded, ttl)
        self.thread = threading.Thread(target=self._beat, name=f"sync-lease-{partition_key}", daemon=True)
        self.thread.start()

    def _beat(self) -> None:
        store, partition_key, encoded, ttl = self._args
        renewed = time.monotonic()
        while not self.stopped.wait(ttl.total_seconds() / BEATS_PER_TTL):
            try:
                if not store._renew_sync_lease(partition_key, encoded, ttl):
                    return  # released meanwhile, or taken over after it expired: stop claiming it
                renewed = time.monotonic()
            except Exception:  # noqa: BLE001 - a store hiccup; the next beat tries again within the TTL
                if time.monotonic() - renewed > ttl.total_seconds():
                    return  # expired by now (the store is gone?): nothing left to renew


_heartbeats_lock = threading.Lock()


class LeasesMixin(StoreBase):
    def acquire_sync_lease(
        self,
        partition_key: str,
        holder: str,
        ttl: timedelta = LEASE_TTL,
        *,
        max_per_user: int | None = None,
    ) -> bool:
        """Take or renew the account's lease; False while another run's lease is valid and its process
        may be alive. The lease is then renewed in the background until released (or the store is
        disposed).

        With `max_per_user`, taking (not renewing) the lease raises ConcurrencyQuotaExceeded when the
        account's user already has that many live leases on accounts of the same provider.
        """
        now = t.utcnow()
        mine = LeaseHolder(holder, this_process()).encode()
        with self._write() as conn:
            account = self._account(conn, partition_key)
            # Lock the account's row, or all its user's rows of the provider (in id order, so two runs
            # never wait on each other's locks) when their leases are counted.
            rows = conn.execute(
                sa.select(a.c.id, a.c.sync_lease_holder, a.c.sync_lease_expires_at)
                .where(self._same_user(account) if max_per_user is not None else a.c.id == account.id)
                .order_by(a.c.id)
                .with_for_update()
            ).all()
            row = next(r for r in rows if r.id == account.id)
            current = LeaseHolder.decode(row.sync_lease_holder) if row.sync_lease_holder else None
            alive = current is not None and self._lease_alive(row, current, now)
            if alive and current.run != holder:
                return False
            if max_per_user is not None and not alive:
                running = sum(
                    1
                    for r in rows
                    if r.id != account.id
                    and r.sync_lease_holder is not None
                    and self._lease_alive(r, LeaseHolder.decode(r.sync_lease_holder), now)
                )
                if running >= max_per_user:
                    raise ConcurrencyQuotaExceeded(running, max_per_user)
            conn.execute(
                sa.update(a).where(a.c.id == account.id).values(sync_lease_holder=mine, sync_lease_expires_at=now + ttl)
            )
            if current is not None and not alive and current.encode() != mine:
                self._abandon_jobs(conn, account)
        self._keep_alive(partition_key, mine, ttl)
        return True

    def sync_lease_holder(self, partition_key: str) -> str | None:
        """The run holding a valid lease on the account, if any (a dead holder holds nothing)."""
        with self._read() as conn:
            row = conn.execute(
                sa.select(a.c.sync_lease_holder, a.c.sync_lease_expires_at).where(a.c.partition_key == partition_key)
            ).one_or_none()
        if row is None or row.sync_lease_holder is None:
            return None
        current = LeaseHolder.decode(row.sync_lease_holder)
        return current.run if self._lease_alive(row, current, t.utcnow()) else None

    def user_syncs_running(self, partition_key: str) -> int:
        """How many other accounts of this account's user and provider hold a live lease: the syncs
        CONNECTORS_MAX_CONCURRENT_JOBS_PER_USER counts (the change sensor starts no run beyond it)."""
        now = t.utcnow()
        with self._read() as conn:
            account = self._account(conn, partition_key)
            rows = conn.execute(
                sa.select(a.c.sync_lease_holder, a.c.sync_lease_expires_at)
                .where(a.c.tenant_id == account.tenant_id)
                .where(a.c.user_id == account.user_id)
                .where(a.c.provider == account.provider)
                .where(a.c.id != account.id)
                .where(a.c.sync_lease_holder.is_not(None))
            ).all()
        return sum(1 for row in rows if self._lease_alive(row, LeaseHolder.decode(row.sync_lease_holder), now))

    @contextmanager
    def fenced(self, partition_key: str, holder: str) -> Iterator[None]:
        """Within the block (this thread or task), the account's item, vault and cursor writes succeed
        only while `holder` (in this process) holds the account's sync lease; once another run has
        taken it over, each raises LeaseLost and changes nothing. A run stalled past its lease's TTL
        (a long GC pause, a frozen VM, a lost network) thus cannot overwrite what the new holder wrote.
        """
        fence = Fence(holder, LeaseHolder(holder, this_process()).encode())
        token = _FENCES.set({**_FENCES.get(), partition_key: fence})
        try:
            yield
        finally:
            _FENCES.reset(token)

    def release_sync_lease(self, partition_key: str, holder: str) -> None:
        """Give the lease up if `holder` (the run, in whatever process) holds it."""
        self._stop_heartbeats(lambda key, encoded: key == partition_key and LeaseHolder.decode(encoded).run == holder)
        with self._write() as conn:
            account = self._account(conn, partition_key, lock=True)
            current = conn.execute(sa.select(a.c.sync_lease_holder).where(a.c.id == account.id)).scalar_one()
            if current is not None and LeaseHolder.decode(current).run == holder:
                conn.execute(
                    sa.update(a).where(a.c.id == account.id).values(sync_lease_holder=None, sync_lease_expires_at=None)
                )

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _same_user(account: AccountRef) -> sa.ColumnElement[bool]:
        return sa.and_(
            a.c.tenant_id == account.tenant_id, a.c.user_id == account.user_id, a.c.provider == account.provider
        )

    @staticmethod
    def _lease_alive(row: sa.Row, current: LeaseHolder, now) -> bool:
        return (
            row.sync_lease_expires_at is not None
            and row.sync_lease_expires_at >= now
            and not process_gone(current.process)
        )

    def _renew_sync_lease(self, partition_key: str, encoded: str, ttl: timedelta) -> bool:
        with self._write() as conn:
            renewed = conn.execute(
                sa.update(a)
                .where(a.c.partition_key == partition_key)
                .where(a.c.sync_lease_holder == encoded)
                .values(sync_lease_expires_at=t.utcnow() + ttl)
            ).rowcount
        return bool(renewed)

    def _abandon_jobs(self, conn: sa.Connection, account: AccountRef) -> None:
        """The previous holder is dead (or lost its lease): its unfinished job rows will never finish."""
        abandoned = conn.execute(
            sa.update(j)
            .where(j.c.account_id == account.id)
            .where(j.c.status == "running")
            .values(status="failed", error=ABANDONED, finished_at=t.utcnow())
            .returning(j.c.dagster_run_id)
        ).scalars()
        for run_id in abandoned.all():
            self._log(conn, "connector_sync_failed", account, {"run_id": run_id, "error": ABANDONED})

    def _heartbeats(self) -> dict[tuple[str, str], _Heartbeat]:
        beats = self.__dict__.get("_lease_heartbeats")
        if beats is None:
            beats = self.__dict__["_lease_heartbeats"] = {}
            # A disposed store claims nothing more: leases it did not release expire after the TTL.
            sa.event.listen(self.engine, "engine_disposed", lambda _engine: self._stop_heartbeats(lambda *_: True))
        return beats

    def _keep_alive(self, partition_key: str, encoded: str, ttl: timedelta) -> None:
        with _heartbeats_lock:
            beats = self._heartbeats()
            beat = beats.get((partition_key, encoded))
            if beat is None or beat.stopped.is_set() or not beat.thread.is_alive():
                beats[(partition_key, encoded)] = _Heartbeat(self, partition_key, encoded, ttl)

    def _stop_heartbeats(self, which) -> None:
        with _heartbeats_lock:
            beats = self.__dict__.get("_lease_heartbeats", {})
            for key in [key for key in beats if which(*key)]:
                beats.pop(key).stopped.set()
