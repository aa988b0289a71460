"""Sync leases: one run at a time, renewed while its process lives, free as soon as that process is gone."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import sqlalchemy as sa

from connectors_pipeline.store import Store, schema
from connectors_pipeline.store.leases import ABANDONED, LeaseHolder, process_gone, this_process

accounts = schema.connector_accounts


def lease_row(store: Store, key: str):
    with store.engine.connect() as conn:
        return conn.execute(
            sa.select(accounts.c.sync_lease_holder, accounts.c.sync_lease_expires_at).where(
                accounts.c.partition_key == key
            )
        ).one()


def take_lease_and_die(database_url: str, key: str, run: str) -> None:
    """Another process takes the lease and is SIGKILLed: no release, no cleanup."""
    script = (
        "import os, signal, sys\n"
        "from connectors_pipeline.store import Store\n"
        "store = Store.open(sys.argv[1], None)\n"
        "store.start_job(sys.argv[2], run_id=sys.argv[3], job_type='incremental_sync')\n"
        "assert store.acquire_sync_lease(sys.argv[2], sys.argv[3])\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, database_url, key, run], capture_output=True, text=True)
    assert done.returncode == -9, done.stderr


def test_a_killed_runs_lease_is_taken_at_once_and_its_job_marked_abandoned(store, account, database_url):
    key = account.partition_key
    take_lease_and_die(database_url, key, "killed-run")
    holder = LeaseHolder.decode(lease_row(store, key).sync_lease_holder)
    assert holder.run == "killed-run" and process_gone(holder.process)
    assert store.sync_lease_holder(key) is None  # the change sensor may poll the account again

    assert store.acquire_sync_lease(key, "next-run")

    assert store.sync_lease_holder(key) == "next-run"
    job = store.list_jobs(limit=1, partition_key=key)[0]
    assert (job.dagster_run_id, job.status, job.error) == ("killed-run", "failed", ABANDONED)
    event = store.list_activity(limit=1, partition_key=key)[0]
    assert (event.event, event.context["run_id"]) == ("connector_sync_failed", "killed-run")
    store.release_sync_lease(key, "next-run")


def test_a_live_holder_keeps_the_account_until_it_releases(store, account):
    key = account.partition_key
    assert store.acquire_sync_lease(key, "run-a")
    assert not store.acquire_sync_lease(key, "run-b")
    assert store.acquire_sync_lease(key, "run-a")  # a later step of the same run renews it
    assert store.sync_lease_holder(key) == "run-a"

    store.release_sync_lease(key, "run-a")

    assert store.sync_lease_holder(key) is None
    assert store.acquire_sync_lease(key, "run-b")
    store.release_sync_lease(key, "run-b")


def test_a_holder_on_another_machine_is_waited_for_until_its_lease_expires(store, account):
    key = account.partition_key
    elsewhere = LeaseHolder("remote-run", "4242.123@0123456789ab").encode()
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(accounts)
            .where(accounts.c.partition_key == key)
            .values(sync_lease_holder=elsewhere, sync_lease_expires_at=schema.utcnow() + timedelta(seconds=1))
        )
    assert not store.acquire_sync_lease(key, "local-run")  # its pid means nothing here: only the TTL tells

    time.sleep(1.2)

    assert store.acquire_sync_lease(key, "local-run")
    store.release_sync_lease(key, "local-run")


def test_the_holding_process_renews_its_lease_until_it_releases_it(store, account):
    key = account.partition_key
    assert store.acquire_sync_lease(key, "long-run", ttl=timedelta(seconds=0.6))
    first = lease_row(store, key).sync_lease_expires_at

    time.sleep(1.5)  # longer than the TTL: only the heartbeat keeps the lease

    assert store.sync_lease_holder(key) == "long-run"
    assert lease_row(store, key).sync_lease_expires_at > first
    assert LeaseHolder.decode(lease_row(store, key).sync_lease_holder).process == this_process()
    store.release_sync_lease(key, "long-run")
    assert lease_row(store, key).sync_lease_holder is None
    time.sleep(0.4)
    assert lease_row(store, key).sync_lease_holder is None  # no heartbeat brings it back


def test_a_disposed_store_stops_renewing(database_url, keyring, account):
    key = account.partition_key
    other = Store.open(database_url, keyring)
    assert other.acquire_sync_lease(key, "forgotten-run", ttl=timedelta(seconds=0.6))

    other.dispose()
    time.sleep(1.2)

    assert other.sync_lease_holder(key) is None  # expired: nobody renews it any more
    other.dispose()
