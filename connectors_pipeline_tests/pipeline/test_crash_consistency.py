"""Crash consistency: a sync SIGKILLed anywhere leaves no partial vault write and no cursor past unprocessed
changes, the next run converges, and two runs of one account at once ingest nothing twice.

Each sync runs the real Dagster job in a child process (crash_child.py) against the test's store and
sandbox. The child kills itself at a seeded random point of a phase (inside a transaction right after
a write, mid-download into the blob store, at an extraction), or the test kills it after a random
delay. Between runs the test changes the drive, so every run has changes to list, fetch, extract and
write. After each run the store is checked directly:

(a) no partial write: every vault document has all its versions, the current one matching it, its
    blob in the blob store and its item linking it; no synced item without a live document, no
    fetched item without its blob; the integrity finders behind the asset checks find nothing.
(b) the committed cursor is never past an unprocessed change: the sandbox only changes between runs,
    so each run starts at a known page token with a known truth. A committed cursor is one of those
    tokens; if it is the current one, the vault equals the current truth exactly. If it is an older
    round's, every item is that round's truth or a later one, or waits in a to-do status (pending,
    fetched, error) that the next run processes whatever the cursor says.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from connectors_pipeline.definitions import defs
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.extract.names import display_path
from connectors_pipeline.sandbox.drive_file import SHORTCUT_MIME
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import schema as t
from connectors_pipeline.store.blobs import BlobStore
from connectors_pipeline.store.database import writer
from connectors_pipeline.sync.cursors import SyncCursor
from connectors_pipeline_tests.pipeline.ground_truth import INGESTED, drive_truth, vault_state

SEED = int(os.environ.get("CONNECTORS_CRASH_SEED", "4242"))
KILLS = 12
MAX_ROUNDS = 30
REPO = Path(__file__).resolve().parents[2]
CHILD = "connectors_pipeline_tests.pipeline.crash_child"
TODO = ("pending", "fetched", "error")
SHARER = "morgan.lee@partner.example.com"

# Where a run may be killed: (phase, event, highest N for "the N-th event", weight). See crash_child.py.
KILL_POINTS = [
    ("start", "write", 3, 1.0),  # lease taken, job row started, nothing listed yet
    ("listing", "write", 8, 2.0),  # items upserted, moved, skipped, removed; the cursor staged
    ("export", "blob", 3, 1.0),  # half a download in the blob store's temp file
    ("export", "write", 4, 1.0),  # fetched items being recorded
    ("ingest", "extract", 3, 1.0),  # text being extracted
    ("ingest", "write", 14, 2.0),  # documents, versions, item links, events of a vault batch
    ("commit", "write", 5, 2.0),  # cursor commit, last sync, job row, completion event, lease release
    ("timer", "", 0, 2.0),  # the test kills the process after a random delay
]


class SyncProcess:
    """One sync run in a child process: started early (imports take seconds), released by `go`."""

    def __init__(self, world, log_dir: Path, number: int):
        self.log_path = log_dir / f"run-{number}.log"
        with self.log_path.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", CHILD, world.instance.root_directory, world.key],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                cwd=REPO,
            )
        self._ready = False

    def _line(self, timeout: float) -> str:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if ready else ""

    def wait_ready(self, timeout: float = 60) -> None:
        if not self._ready:
            line = self._line(timeout)
            assert line.strip() == "ready", f"child did not start: {line!r}\n{self.log_tail()}"
            self._ready = True

    def go(self, plan: dict) -> None:
        self.wait_ready()
        self.proc.stdin.write(json.dumps(plan) + "\n")
        self.proc.stdin.close()

    def finish(self, kill_after: float | None = None, timeout: float = 90) -> str:
        """'killed' or 'completed'; a run that fails (rather than crashes) fails the test."""
        if kill_after is not None:
            try:
                self.proc.wait(kill_after)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout)
        if self.proc.returncode == -signal.SIGKILL:
            return "killed"
        result = json.loads(self._line(5) or "{}")
        assert self.proc.returncode == 0 and result.get("success"), f"run failed: {result}\n{self.log_tail()}"
        self.run_id = result["run_id"]
        return "completed"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def kill_points(rng: random.Random) -> Iterator[tuple[str, str, int, float]]:
    """Every kill point once, in a seeded order, then seeded weighted picks."""
    yield from rng.sample(KILL_POINTS, len(KILL_POINTS))
    while True:
        yield rng.choices(KILL_POINTS, weights=[p[3] for p in KILL_POINTS])[0]


def kill_plan(rng: random.Random, point: tuple[str, str, int, float]) -> tuple[dict, float | None, str]:
    """A kill plan for the child, a delay for the test's own kill, and a label for the summary."""
    phase, event, highest, _ = point
    if phase == "timer":
        delay = round(rng.uniform(0.2, 2.5), 2)
        return {}, delay, f"timer@{delay}s"
    nth = rng.randint(1, highest)
    return {"phase": phase, "event": event, "nth": nth}, None, f"{phase}.{event}#{nth}"


class DriveChanges:
    """Seeded random changes of every kind between runs, on files the ground truth models."""

    TYPES = (("txt", "text/plain"), ("md", "text/markdown"), ("csv", "text/csv"), ("html", "text/html"))

    def __init__(self, world, rng: random.Random):
        self.drive = world.state.drive(world.account.email)
        self.rng = rng
        self.created = 0
        self.editable: list[str] = []  # files this test created: plain text it may rewrite
        self.shared = [world.ids[i] for i, e in enumerate(world.corpus) if e.owner is not None]

    def _body(self, extension: str) -> bytes:
        words = " ".join(self.rng.choice(("alpha", "beta", "gamma", "delta", "omega")) for _ in range(12))
        marker = f"marker{self.rng.randrange(10**9)}"
        if extension == "csv":
            return f"word,marker\n{words.replace(' ', '_')},{marker}\n".encode()
        if extension == "html":
            return f"<html><body><h1>{marker}</h1><p>{words}</p></body></html>".encode()
        return f"# {marker}\n\n{words}\n".encode()

    def _folders(self) -> list[str]:
        return [f.id for f in self.drive.files.values() if f.is_folder and self.drive.is_visible(f)]

    def _files(self) -> list[str]:
        """The user's own files and shortcuts (someone else's files are only ever unshared)."""
        return [f.id for f in self.drive.files.values() if not f.is_folder and f.owner_email is None]

    def apply(self, count: int) -> None:
        ops = ["create"] * 3 + ["edit"] * 3 + ["rename", "move", "trash", "untrash", "delete"]
        ops += ["rename_folder", "shortcut", "revoke"]
        for _ in range(count):
            self._apply(self.rng.choice(ops))

    def _apply(self, op: str) -> None:
        drive, rng = self.drive, self.rng
        files, folders = sorted(self._files()), sorted(self._folders())
        if op == "create" or (op == "edit" and not self.editable):
            extension, mime = rng.choice(self.TYPES)
            self.created += 1
            owner = SHARER if rng.random() < 0.2 else None
            file_id = drive.create_file(
                f"crash note {self.created}.{extension}",
                rng.choice(folders),
                mime,
                self._body(extension),
                owner_email=owner,
            )
            (self.shared if owner else self.editable).append(file_id)
        elif op == "edit":
            file_id = rng.choice(self.editable)
            if file_id in drive.files:
                drive.update_content(file_id, self._body(drive.files[file_id].name.rsplit(".", 1)[-1]))
        elif op == "rename":
            file_id = rng.choice(files)
            drive.rename(file_id, f"renamed {rng.randrange(1000)} {drive.files[file_id].name}"[:80])
        elif op == "move":
            drive.move(rng.choice(files), rng.choice(folders))
        elif op == "trash":
            drive.trash(rng.choice(files))
        elif op == "untrash":
            trashed = sorted(f.id for f in drive.files.values() if f.explicitly_trashed)
            if trashed:
                drive.untrash(rng.choice(trashed))
        elif op == "delete":
            file_id = rng.choice(files)
            drive.delete(file_id)
            if file_id in self.editable:
                self.editable.remove(file_id)
        elif op == "rename_folder":
            movable = [f for f in folders if f != drive.root_id]
            if movable:
                folder = rng.choice(movable)
                drive.rename(folder, f"{drive.files[folder].name} {rng.randrange(100)}")
        elif op == "shortcut":
            targets = [f for f in files if drive.files[f].shortcut_target is None]
            drive.add_shortcut(f"link {rng.randrange(1000)}", rng.choice(folders), rng.choice(targets))
        elif op == "revoke":
            live = [f for f in self.shared if f in drive.files and not drive.files[f].access_revoked]
            if live:
                drive.revoke_access(rng.choice(live))


@dataclass
class History:
    """The page token and the truth the vault should reach, for the start of every run."""

    tokens: list[str] = field(default_factory=list)
    truths: list[dict[str, tuple]] = field(default_factory=list)
    ever: set[str] = field(default_factory=set)  # every file (not folder, not shortcut) the drive ever had


def truth_now(world, known: set[str]) -> dict[str, tuple]:
    """drive_truth for the whole drive as the vault shows it, plus the skip it cannot see: an export
    Drive refuses."""
    drive = world.state.drive(world.account.email)
    truth = drive_truth(drive, known, OrgPolicy())
    for file_id, (outcome, paths) in truth.items():
        if paths is not None:  # the vault shows names made safe (control and bidi characters removed)
            truth[file_id] = (outcome, {display_path(path) for path in paths})
    for index, entry in enumerate(world.corpus):
        file_id = world.ids[index]
        if entry.label == "export_too_large" and truth.get(file_id, (None,))[0] == INGESTED:
            truth[file_id] = ("skipped:export_too_large", None)
    return truth


def start_round(world, history: History) -> None:
    drive = world.state.drive(world.account.email)
    history.ever |= {f.id for f in drive.files.values() if not f.is_folder and f.mime_type != SHORTCUT_MIME}
    history.tokens.append(drive.start_page_token())
    history.truths.append(truth_now(world, history.ever))


# ------------------------------------------------------------------------------------------ checks


def assert_no_partial_vault_write(world, blobs: BlobStore) -> None:
    store, key = world.store, world.key
    assert store.find_orphan_documents(key) == []
    assert store.find_items_sharing_a_document(key) == []
    assert store.find_repeated_versions(key) == []
    assert store.find_coverage(key).uncovered_by_status.get("synced", 0) == 0
    d, v = t.vault_documents, t.vault_document_versions
    with store.engine.connect() as conn:
        documents = conn.execute(sa.select(d)).all()
        versions: dict[int, list] = {}
        for row in conn.execute(sa.select(v).order_by(v.c.document_id, v.c.version_no)):
            versions.setdefault(row.document_id, []).append(row)
        referenced = {
            row.context.get("document_id")
            for row in conn.execute(
                sa.select(t.activity_log.c.context).where(t.activity_log.c.event == "item_ingested")
            )
        }
    items = store.load_items(key)
    linked = {item.vault_document_id: item for item in items.values() if item.vault_document_id is not None}
    for doc in documents:
        numbers = [row.version_no for row in versions.get(doc.id, [])]
        assert numbers == list(range(1, doc.current_version + 1)), (doc.external_id, numbers)
        current = versions[doc.id][-1]
        assert (current.content_hash, current.text) == (doc.content_hash, doc.text), doc.external_id
        assert blobs.exists(doc.blob_sha256) and all(blobs.exists(row.blob_sha256) for row in versions[doc.id])
        assert linked.get(doc.id) is not None and linked[doc.id].external_id == doc.external_id, doc.external_id
    assert referenced <= {doc.id for doc in documents}, "an ingest event without its document"
    for item in items.values():
        if item.status == "fetched":
            assert blobs.exists(item.blob_sha256), f"fetched without its blob: {item.external_id}"
        if item.status == "synced":
            assert item.vault_document_id in {doc.id for doc in documents}, item.external_id


def committed_round(world, history: History) -> int | None:
    """The round whose start token the committed cursor holds (None: no cursor committed yet)."""
    raw = world.store.get_cursor(world.key)
    if raw is None:
        return None
    token = SyncCursor.decode(raw).token
    assert token in history.tokens, f"committed cursor {token} is no run's start token {history.tokens}"
    # Several rounds can share a token (no change between them); the latest is the one that counts.
    return len(history.tokens) - 1 - history.tokens[::-1].index(token)


def assert_cursor_not_past_unprocessed_changes(world, history: History) -> None:
    k = committed_round(world, history)
    current = len(history.tokens) - 1
    state = vault_state(world.store, world.key)
    if k == current:
        assert state == truth_now(world, set(state)), "the cursor was committed before the vault held its changes"
        return
    later = history.truths[k or 0 :]
    behind = {
        external_id: (value, [truth.get(external_id) for truth in later])
        for external_id, value in state.items()
        if value[0] not in TODO and all(truth.get(external_id) != value for truth in later)
    }
    assert behind == {}, f"items behind the committed cursor of round {k}, not queued for the next run"


def assert_content_matches_drive(world) -> None:
    """Uploaded files: the vault's current version came from the drive's current bytes."""
    drive = world.state.drive(world.account.email)
    for external_id, item in world.store.load_items(world.key).items():
        f = drive.files.get(external_id)
        if item.status == "synced" and f is not None and f.native is None:
            document = world.store.get_document(item.vault_document_id)
            assert document.blob_sha256 == hashlib.sha256(f.content).hexdigest(), item.name


def assert_store_writable(world) -> None:
    """A process killed inside a write transaction leaves no lock behind: a writer gets in at once."""
    started = time.monotonic()
    with writer(world.store.engine).begin() as conn:  # BEGIN IMMEDIATE on SQLite: takes the write lock
        conn.execute(sa.select(1))
    assert time.monotonic() - started < 2, "the store stayed locked after the kill"


def leftover_temp_files(settings: Settings) -> list[Path]:
    return [
        *settings.blob_root.rglob("*.part"),
        *(settings.home / "listings").rglob("*.partial"),
    ]


def age(paths: list[Path], seconds: float) -> None:
    """Make files look `seconds` older, as if that much time had passed since they were written."""
    for path in paths:
        stat = path.stat()
        os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))


def stray_extraction_workers(home: Path, wait: float = 10) -> list[int]:
    """Extraction workers of this test's syncs still running (a killed sync's workers must exit too)."""
    deadline = time.monotonic() + wait
    while True:
        strays = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                cmdline = (proc / "cmdline").read_bytes()
                environ = (proc / "environ").read_bytes()
            except OSError:
                continue
            if b"connectors_pipeline.extract.worker" in cmdline and f"CONNECTORS_HOME={home}\0".encode() in environ:
                strays.append(int(proc.name))
        if not strays or time.monotonic() > deadline:
            return strays
        time.sleep(0.2)


# ------------------------------------------------------------------------------------------- tests


def test_a_sync_killed_at_random_points_converges_without_partial_writes(drive_world, tmp_path, capsys):
    world, rng = drive_world, random.Random(SEED)
    settings, blobs = Settings.from_env(), BlobStore(Settings.from_env().blob_root)
    changes, history, points = DriveChanges(world, rng), History(), kill_points(rng)
    world.state.latency_ms = 5  # widens the windows between requests a little
    summary: list[str] = []
    outcomes: Counter[str] = Counter()
    started = time.monotonic()
    number = 0
    upcoming = SyncProcess(world, tmp_path, number)
    try:
        while outcomes["killed"] < KILLS and number < MAX_ROUNDS:
            if number:
                changes.apply(rng.randint(3, 7))
            start_round(world, history)
            plan, delay, label = kill_plan(rng, next(points))
            run = upcoming
            run.wait_ready()
            run.go(plan)
            number += 1
            upcoming = SyncProcess(world, tmp_path, number)  # imports while this one runs
            outcome = run.finish(kill_after=delay)
            outcomes[outcome] += 1
            summary.append(f"{label}:{'K' if outcome == 'killed' else 'ok'}")

            assert_store_writable(world)
            assert_no_partial_vault_write(world, blobs)
            assert_cursor_not_past_unprocessed_changes(world, history)

        # Killed fetches leave temp files; once they are old enough, the next sync removes them.
        leftovers = leftover_temp_files(settings)
        age(leftovers, 2 * 3600)
        changes.apply(4)
        start_round(world, history)
        upcoming.go({})
        assert upcoming.finish() == "completed"
    finally:
        upcoming.stop()

    with capsys.disabled():
        print(
            f"\ncrash test seed={SEED}: {outcomes['killed']} kills, {outcomes['completed']} completed runs, "
            f"{len(leftovers)} temp files left, {time.monotonic() - started:.1f}s: {' '.join(summary)}"
        )
    assert outcomes["killed"] >= KILLS
    assert_no_partial_vault_write(world, blobs)
    state = vault_state(world.store, world.key)
    assert state == truth_now(world, set(state))
    assert_content_matches_drive(world)
    assert committed_round(world, history) == len(history.tokens) - 1
    jobs = world.store.list_jobs(limit=100, partition_key=world.key)
    assert jobs[0].status == "succeeded"
    assert [job.status for job in jobs if job.status == "running"] == [], "a killed run's job never finished"
    assert [job.error for job in jobs if job.status == "skipped"] == [], "a killed run's lease held a later run off"
    assert world.store.sync_lease_holder(world.key) is None
    assert leftover_temp_files(settings) == []
    assert stray_extraction_workers(settings.home) == []


def test_two_runs_of_one_account_at_once_ingest_nothing_twice(drive_world, tmp_path):
    world = drive_world
    job = defs.resolve_job_def("google_drive_sync")
    assert job.execute_in_process(partition_key=world.key, instance=world.instance).success
    drive = world.state.drive(world.account.email)
    for n in range(6):
        drive.create_file(f"race {n}.txt", None, "text/plain", f"written once, ingested once: {n}".encode())
    texts = [world.ids[i] for i, e in enumerate(world.corpus) if e.label == "text"]
    for file_id in texts:
        drive.update_content(file_id, b"edited while two runs race for the account")
    drive.rename(texts[0], "raced.txt")
    before = world.store.list_activity(limit=1)[0].id
    world.state.latency_ms = 40  # each run takes a while: the two surely overlap

    runs = [SyncProcess(world, tmp_path, n) for n in range(2)]
    try:
        for run in runs:
            run.wait_ready()
        for run in runs:
            run.go({})
        assert [run.finish() for run in runs] == ["completed", "completed"]
    finally:
        for run in runs:
            run.stop()

    store = world.store
    jobs = {store.find_job(world.key, run.run_id).status for run in runs}
    assert jobs == {"succeeded", "skipped"}, "the second run must leave the account to the first"
    events = [
        a.context["external_id"]
        for a in store.list_activity(limit=500, partition_key=world.key)
        if a.id > before and a.event in ("item_ingested", "item_updated", "item_restored")
    ]
    assert len(events) == len(set(events)) == 6 + len(texts)  # new files and edits; the rename is no ingest
    assert store.find_repeated_versions(world.key) == []
    assert_no_partial_vault_write(world, BlobStore(Settings.from_env().blob_root))
    state = vault_state(store, world.key)
    assert state == truth_now(world, set(state))
