"""Concurrent runs on PostgreSQL: eight sync processes over four accounts ingest nothing twice and lose no update,
and a run whose lease was taken over can neither commit its cursor nor write over the new holder's work.

The main test runs the real google_drive_sync job in eight processes (concurrent_child.py), two per
sandbox account, released together, twice: the first wave (the initial syncs) while two of the
drives change under it, the second after the others changed too. Then the store must show: every
run finished (synced its account, or skipped it with the reason on its job row), the vault equals
the sandbox's ground truth, no item has two live documents, every document's versions are 1..n
with no content ingested twice, and every committed cursor was staged by a run that finished.
"""

from __future__ import annotations

import json
import random
import select
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from connectors_pipeline.connect import connect_account
from connectors_pipeline.definitions import defs
from connectors_pipeline.defs import factory
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.sandbox import SandboxServer, SandboxState, sandbox_client_config, seed_drive
from connectors_pipeline.sandbox.corpus import CorpusFile, generate_corpus
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import AccountRecord, FetchedBlob, LeaseLost, Store, VaultInput
from connectors_pipeline.store import schema as t
from connectors_pipeline.store.cipher import resolve_keyring
from connectors_pipeline.sync.cursors import SyncCursor
from connectors_pipeline_tests.pipeline.ground_truth import vault_state
from connectors_pipeline_tests.pipeline.test_crash_consistency import DriveChanges, truth_now
from connectors_pipeline_tests.postgres import temporary_postgres_database
from connectors_pipeline_tests.store.test_items import remote

pytestmark = pytest.mark.postgres

ACCOUNTS = 4
RUNS_PER_ACCOUNT = 2
FILES = 20  # the corpus' special set: every kind of file, one of each
SEED = 2026
REPO = Path(__file__).resolve().parents[2]
CHILD = "connectors_pipeline_tests.pipeline.concurrent_child"
INGEST_EVENTS = ("item_ingested", "item_updated", "item_restored")


@pytest.fixture
def database_url() -> Iterator[str]:
    """PostgreSQL only: its row locks and READ COMMITTED are what this file is about."""
    with temporary_postgres_database("connectors_pipeline") as url:
        yield url


@dataclass
class AccountWorld:
    """One sandbox Drive user, connected; shaped like DriveWorld for the crash test's helpers."""

    state: SandboxState
    corpus: list[CorpusFile]
    ids: dict[int, str]
    store: Store
    account: AccountRecord
    instance: dg.DagsterInstance

    @property
    def key(self) -> str:
        return self.account.partition_key


@pytest.fixture
def worlds(connectors_env: Settings, monkeypatch) -> Iterator[list[AccountWorld]]:
    monkeypatch.delenv("CONNECTORS_MAX_CONCURRENT_JOBS_PER_USER", raising=False)
    monkeypatch.delenv("CONNECTORS_MAX_FILES_PER_JOB", raising=False)
    state = SandboxState()
    seeded = []
    for n in range(ACCOUNTS):
        corpus = generate_corpus(seed=SEED + n, files=FILES)
        seeded.append((f"user{n}@example.com", corpus, seed_drive(state, f"user{n}@example.com", corpus)))
    store = Store.open(connectors_env.database_url, resolve_keyring(connectors_env, allow_demo_key=False))
    with SandboxServer(state, port=0) as server, dg.instance_for_test() as instance:
        worlds = []
        for user, corpus, ids in seeded:
            client = sandbox_client_config(server.url)
            account = connect_account(store, OrgPolicy(), "google_drive", client, mode="sandbox", login_hint=user)
            worlds.append(AccountWorld(state, corpus, ids, store, account, instance))
        instance.add_dynamic_partitions("google_drive_accounts", [world.key for world in worlds])
        yield worlds
    store.dispose()


class RunProcess:
    """A child process that runs the real job for one account each time it is told to."""

    def __init__(self, world: AccountWorld, log_path: Path):
        self.world, self.log_path = world, log_path
        with log_path.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", CHILD, world.instance.root_directory, world.key],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                cwd=REPO,
            )

    def _line(self, timeout: float) -> str:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if ready else ""

    def wait_ready(self, timeout: float = 90) -> None:
        line = self._line(timeout)
        assert line.strip() == "ready", f"child did not start: {line!r}\n{self.log_tail()}"

    def go(self) -> None:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def report(self, timeout: float = 120) -> dict:
        line = self._line(timeout)
        assert line, f"no report from the run within {timeout} s\n{self.log_tail()}"
        return json.loads(line)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def run_wave(processes: list[RunProcess], while_running=None) -> list[tuple[RunProcess, dict]]:
    """Release every process at once; `while_running` is called as they go."""
    for process in processes:
        process.go()
    if while_running is not None:
        while_running()
    return [(process, process.report()) for process in processes]


# ------------------------------------------------------------------------------------------ checks


def account_id_of(conn: sa.Connection, key: str) -> int:
    a = t.connector_accounts
    return conn.execute(sa.select(a.c.id).where(a.c.partition_key == key)).scalar_one()


def assert_every_run_finished(store: Store, reports: list[tuple[RunProcess, dict]]) -> Counter[str]:
    statuses: Counter[str] = Counter()
    for process, report in reports:
        assert report["success"], f"run {report['run_id']} failed\n{process.log_tail()}"
        job = store.find_job(process.world.key, report["run_id"])
        assert job is not None, f"run {report['run_id']} left no job row"
        assert job.status in ("succeeded", "skipped"), (job.status, job.error)
        if job.status == "skipped":
            assert job.error, "a skipped run must say why"
        statuses[job.status] += 1
    for key in {process.world.key for process, _ in reports}:
        jobs = [store.find_job(key, report["run_id"]) for process, report in reports if process.world.key == key]
        assert any(job.status == "succeeded" for job in jobs), f"no run of the wave synced {key}"
    return statuses


def assert_no_duplicates(store: Store, key: str) -> None:
    d, v, i = t.vault_documents, t.vault_document_versions, t.connector_items
    with store.engine.connect() as conn:
        account_id = account_id_of(conn, key)
        live = conn.execute(
            sa.select(d.c.external_id, sa.func.count())
            .where(d.c.account_id == account_id)
            .where(d.c.deleted_at.is_(None))
            .group_by(d.c.external_id)
            .having(sa.func.count() > 1)
        ).all()
        assert live == [], f"items with two live documents: {live}"
        documents = {row.id: row for row in conn.execute(sa.select(d).where(d.c.account_id == account_id))}
        numbers: dict[int, list[int]] = {}
        for row in conn.execute(
            sa.select(v.c.document_id, v.c.version_no)
            .where(v.c.document_id.in_(documents))
            .order_by(v.c.document_id, v.c.version_no)
        ):
            numbers.setdefault(row.document_id, []).append(row.version_no)
        links = Counter(
            conn.execute(
                sa.select(i.c.vault_document_id)
                .where(i.c.account_id == account_id)
                .where(i.c.vault_document_id.is_not(None))
            ).scalars()
        )
    for document in documents.values():
        expected = list(range(1, document.current_version + 1))
        assert numbers.get(document.id) == expected, (document.external_id, numbers.get(document.id))
        assert links[document.id] == 1, f"document {document.id} linked by {links[document.id]} items"
    assert store.find_repeated_versions(key) == [], "an unchanged content was ingested again"
    assert store.find_items_sharing_a_document(key) == []
    events = [e for e in store.list_activity(limit=10_000, partition_key=key) if e.event in INGEST_EVENTS]
    versions = Counter((e.context["document_id"], e.context.get("version")) for e in events if "version" in e.context)
    assert [pair for pair, n in versions.items() if n > 1] == [], "a version ingested twice"
    created = Counter(e.context["document_id"] for e in events if e.event == "item_ingested")
    assert [doc for doc, n in created.items() if n > 1] == [], "a document created twice"


def assert_cursor_staged_by_a_finished_run(store: Store, key: str, reports: list[tuple[RunProcess, dict]]) -> None:
    c = t.connector_cursors
    with store.engine.connect() as conn:
        account_id = account_id_of(conn, key)
        row = conn.execute(sa.select(c).where(c.c.account_id == account_id)).one()
    finished = {
        report["run_id"]: report
        for process, report in reports
        if process.world.key == key and store.find_job(key, report["run_id"]).status == "succeeded"
    }
    assert row.value is not None, "no cursor committed"
    assert row.committed_by in finished, f"cursor committed by {row.committed_by}, not a finished run of {key}"
    assert row.value in finished[row.committed_by]["staged"], "the committed cursor is not the one its run staged"
    assert SyncCursor.decode(row.value).token, row.value


# ------------------------------------------------------------------------------------------- tests


def test_eight_concurrent_runs_leave_the_vault_equal_to_ground_truth_without_duplicates(worlds, tmp_path, capsys):
    started = time.monotonic()
    store = worlds[0].store
    changes = {world.key: DriveChanges(world, random.Random(SEED + n)) for n, world in enumerate(worlds)}
    for world in worlds:
        world.state.latency_ms = 5  # widens the windows between requests a little
    processes = [
        RunProcess(world, tmp_path / f"run-{n}-{r}.log")
        for n, world in enumerate(worlds)
        for r in range(RUNS_PER_ACCOUNT)
    ]
    try:
        for process in processes:
            process.wait_ready()
        launched = time.monotonic()

        def change_while_running() -> None:
            time.sleep(1.0)
            for world in worlds[:2]:
                changes[world.key].apply(4)

        first = run_wave(processes, change_while_running)
        first_statuses = assert_every_run_finished(store, first)
        for world in worlds[1:]:
            changes[world.key].apply(4)  # between the waves (the second account changes in both)
        second = run_wave(processes)
        second_statuses = assert_every_run_finished(store, second)
    finally:
        for process in processes:
            process.stop()

    reports = first + second
    for world in worlds:
        state = vault_state(store, world.key)
        assert state == truth_now(world, set(state)), f"the vault of {world.key} differs from its drive"
        assert_no_duplicates(store, world.key)
        assert_cursor_staged_by_a_finished_run(store, world.key, reports)
        assert store.sync_lease_holder(world.key) is None
    refused = [e for e in store.list_activity(limit=10_000) if e.event == "connector_cursor_commit_refused"]
    assert refused == [], "no lease expired here, so no commit may be refused"
    # Two runs of one account released together: one syncs, the other leaves it (or runs after it).
    assert first_statuses["skipped"] + second_statuses["skipped"] >= 1
    with capsys.disabled():
        print(
            f"\n8 concurrent runs x 2 waves: first {dict(first_statuses)}, second {dict(second_statuses)}; "
            f"{time.monotonic() - launched:.1f}s after the imports, {time.monotonic() - started:.1f}s in all"
        )


def take_over(store: Store, key: str, holder: str) -> None:
    """The lease's holder stalls past its TTL and `holder` takes the account over."""
    a = t.connector_accounts
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(a).where(a.c.partition_key == key).values(sync_lease_expires_at=t.utcnow() - timedelta(minutes=1))
        )
    assert store.acquire_sync_lease(key, holder)


def test_a_run_whose_lease_was_taken_over_cannot_commit_its_cursor(drive_world):
    world, store = drive_world, drive_world.store
    ingest = factory.ingest_fetched

    def ingest_then_lose_the_lease(services, partition_key):
        outcome = ingest(services, partition_key)
        take_over(store, partition_key, "run-that-took-over")
        return outcome

    job = defs.resolve_job_def("google_drive_sync")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(factory, "ingest_fetched", ingest_then_lose_the_lease)
        stale = job.execute_in_process(partition_key=world.key, instance=world.instance)

    assert stale.success  # the account is left to the new holder, not failed
    row = store.find_job(world.key, stale.run_id)
    assert row.status == "skipped" and "run-that-took-over" in row.error
    assert store.get_cursor(world.key) is None, "the stale run committed its cursor"
    refused = [
        e.context for e in store.list_activity(partition_key=world.key) if e.event == "connector_cursor_commit_refused"
    ]
    assert refused == [{"run_id": stale.run_id, "lease_holder": "run-that-took-over"}]
    assert store.sync_lease_holder(world.key) == "run-that-took-over"

    # Nor can it write anything else of the account while the other run holds it.
    some_item = next(iter(store.load_items(world.key)))
    before = vault_state(store, world.key)
    with store.fenced(world.key, stale.run_id):
        with pytest.raises(LeaseLost):
            store.stage_cursor(world.key, "stale cursor", holder=stale.run_id)
        with pytest.raises(LeaseLost):
            store.record_removal(world.key, some_item, "deleted")
        with pytest.raises(LeaseLost):
            store.save_remote_items(world.key, [remote(some_item, "0")])
    assert vault_state(store, world.key) == before

    # The new holder finishes (here: gives the account up); the next run commits its own cursor.
    store.release_sync_lease(world.key, "run-that-took-over")
    fresh = job.execute_in_process(partition_key=world.key, instance=world.instance)
    assert fresh.success and store.find_job(world.key, fresh.run_id).status == "succeeded"
    with store.engine.connect() as conn:
        committed_by = conn.execute(sa.select(t.connector_cursors.c.committed_by)).scalar_one()
    assert committed_by == fresh.run_id and store.get_cursor(world.key) is not None
    state = vault_state(store, world.key)
    assert state == truth_now(world, set(state))


def fetched_blob(external_id: str, version: str, blob: str) -> FetchedBlob:
    return FetchedBlob(external_id, blob * 64, "text/plain", 5, {"method": "download"}, version)


def vault_input(external_id: str, version: str, blob: str) -> VaultInput:
    return VaultInput(
        external_id=external_id,
        title=f"{external_id}.txt",
        path=f"/{external_id}.txt",
        paths=[f"/{external_id}.txt"],
        mime_type="text/plain",
        content_mime="text/plain",
        size_bytes=5,
        text=f"text of version {version}",
        content_hash=f"hash-{version}",
        blob_sha256=blob * 64,
        provider_version=version,
        modified_time=None,
        provenance={"method": "download"},
    )


def test_a_fetch_or_ingest_of_a_version_no_longer_current_is_left_out(drive_world):
    store, key = drive_world.store, drive_world.key
    store.save_remote_items(key, [remote("x", "1")])
    # A slow run fetched version 1 while a listing saw version 2: its fetch must not land.
    store.save_remote_items(key, [remote("x", "2")])
    assert store.record_fetches(key, [fetched_blob("x", "1", "a")]) == ["x"]
    assert store.load_items(key)["x"].status == "pending"
    assert store.record_fetches(key, [fetched_blob("x", "2", "b")]) == []
    # Text extracted from version 1's bytes must not become current either, before or after version 2's.
    assert store.record_ingests(key, [vault_input("x", "1", "a")]) == ["superseded"]
    assert store.record_ingests(key, [vault_input("x", "2", "b")]) == ["created"]
    assert store.record_ingests(key, [vault_input("x", "1", "a")]) == ["superseded"]
    document = store.get_document(store.load_items(key)["x"].vault_document_id)
    assert (document.text, document.current_version) == ("text of version 2", 1)


def test_two_writers_ingesting_one_fetched_item_at_once_make_one_version(drive_world):
    store, key = drive_world.store, drive_world.key
    store.save_remote_items(key, [remote(f"y{n}", "1") for n in range(20)])
    store.record_fetches(key, [fetched_blob(f"y{n}", "1", "c") for n in range(20)])
    barrier = threading.Barrier(2)
    outcomes: list[list[str]] = []

    def write(order: int) -> None:
        documents = [vault_input(f"y{n}", "1", "c") for n in range(20)][::order]  # opposite orders
        barrier.wait()
        outcomes.append(store.record_ingests(key, documents))

    threads = [threading.Thread(target=write, args=(order,)) for order in (1, -1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(Counter(outcome for batch in outcomes for outcome in batch).items()) == [
        ("created", 20),
        ("superseded", 20),
    ]
    assert store.count_versions(key) == 20 and store.count_documents(key) == 20


def test_a_run_commits_only_the_cursor_it_staged_and_only_while_it_holds_the_lease(drive_world):
    store, key = drive_world.store, drive_world.key
    assert store.acquire_sync_lease(key, "run-a")
    store.stage_cursor(key, "cursor of run a", holder="run-a")
    take_over(store, key, "run-b")
    with pytest.raises(LeaseLost):
        store.commit_staged_cursor(key, "run-a")
    assert store.commit_staged_cursor(key, "run-b") is None  # run b staged nothing: run a's cursor stays uncommitted
    store.stage_cursor(key, "cursor of run b", holder="run-b")
    assert store.commit_staged_cursor(key, "run-b") == "cursor of run b"
    store.release_sync_lease(key, "run-b")
    with pytest.raises(LeaseLost):  # holding no lease at all is no better than having lost it
        store.commit_staged_cursor(key, "run-b")
    assert store.get_cursor(key) == "cursor of run b"
