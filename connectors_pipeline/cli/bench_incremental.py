"""`connectors bench incremental`: incremental syncs of a large sandbox account through Dagster.

Setup (not measured as a sync): the sandbox account gets N small text files in nested folders; the
real listing step snapshots them; their text is then written straight into the vault, as an
initial sync would leave it, instead of downloading N files (`bench initial` measures that path).
Then two incremental syncs run through the Dagster job: one with nothing changed, one after a
mix of changes. Each prints the requests the sandbox served, seconds and the process's peak RSS.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from connectors_pipeline.cli.bench_setup import BENCH_USER, bench_account
from connectors_pipeline.cli.display import print_figures
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.extract.model import Extracted, content_hash
from connectors_pipeline.extract.normalize import normalize_text
from connectors_pipeline.store import FetchedBlob, Store
from connectors_pipeline.store.blobs import BlobStore
from connectors_pipeline.sync.ingest import vault_input

FILES_PER_FOLDER = 1000
BATCH = 1000


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def peak_rss() -> Iterator[Callable[[], float]]:
    """Samples this process's resident memory every 10 ms; yields a getter of the peak in MiB."""
    peak = [_rss_mib()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], _rss_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield lambda: peak[0]
    finally:
        done.set()
        sampler.join()


def seed_files(drive, files: int) -> list[str]:
    ids = []
    for folder_no in range(0, files, FILES_PER_FOLDER):
        folder = drive.create_folder(f"Folder {folder_no // FILES_PER_FOLDER:04d}")
        for n in range(folder_no, min(files, folder_no + FILES_PER_FOLDER)):
            ids.append(drive.create_file(f"note-{n:06d}.txt", folder, "text/plain", f"note number {n}".encode()))
    return ids


def ingest_directly(store: Store, key: str) -> None:
    """Write every pending item's text to the vault as an initial sync would, but without a download:
    the fetch is recorded with the text's own digest, then the ingest step's vault_input is used."""
    pending = list(store.load_items(key, statuses=("pending",)).values())
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        texts = {item.external_id: f"note number {int(item.name[5:11])}" for item in batch}
        store.record_fetches(
            key,
            [
                FetchedBlob(
                    i.external_id,
                    content_hash(texts[i.external_id]),
                    "text/plain",
                    len(texts[i.external_id]),
                    {"method": "download"},
                    i.version,
                )
                for i in batch
            ],
        )
        fetched = store.load_items(key, external_ids=texts).values()
        store.record_ingests(
            key, [vault_input(r, Extracted.of(normalize_text(texts[r.external_id]), None, "text")) for r in fetched]
        )


def apply_changes(drive, ids: list[str], changes: int) -> dict[str, int]:
    """A mix like a working day's: edits, renames, moves, trashes, deletions and new files."""
    step = max(1, len(ids) // changes)
    picked = ids[::step][:changes]
    mix = {"edited": 0, "renamed": 0, "moved": 0, "trashed": 0, "deleted": 0, "created": 0}
    target_folder = drive.create_folder("Moved here")
    for n, file_id in enumerate(picked):
        kind = ("edited", "edited", "edited", "renamed", "moved", "trashed", "deleted", "created")[n % 8]
        if kind == "edited":
            drive.update_content(file_id, f"note {n} rewritten".encode())
        elif kind == "renamed":
            drive.rename(file_id, f"renamed-{n}.txt")
        elif kind == "moved":
            drive.move(file_id, target_folder)
        elif kind == "trashed":
            drive.trash(file_id)
        elif kind == "deleted":
            drive.delete(file_id)
        else:
            drive.create_file(f"new-{n}.txt", target_folder, "text/plain", f"new note {n}".encode())
        mix[kind] += 1
    return mix


def measure(state, label: str, action: Callable[[], object]) -> dict[str, object]:
    state.reset_requests()
    before = _rss_mib()
    started = time.monotonic()
    with peak_rss() as peak:
        result = action()
    seconds = time.monotonic() - started
    requests = state.requests
    media = [r for r in requests if r.query.get("alt") == "media" or r.path.endswith("/export")]
    return {
        f"{label}_succeeded": getattr(result, "success", True),
        f"{label}_seconds": round(seconds, 2),
        f"{label}_requests": len(requests),
        f"{label}_drive_api_requests": sum(1 for r in requests if r.path.startswith("/drive/")),
        f"{label}_downloads": len(media),
        # The process also holds the sandbox's 100,000 files: the growth is what the sync itself took.
        f"{label}_peak_rss_mib": round(peak(), 1),
        f"{label}_rss_growth_mib": round(peak() - before, 1),
    }


@click.command("incremental")
@click.option("--files", default=100_000, show_default=True)
@click.option("--changes", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def incremental(files: int, changes: int, as_json: bool) -> None:
    """A no-op incremental sync of a large account, then one after a mix of changes."""
    from connectors_pipeline.cli.dagster_runs import run_sync
    from connectors_pipeline.definitions import defs
    from connectors_pipeline.sandbox import SandboxState
    from connectors_pipeline.sync.listing import refresh_listing
    from connectors_pipeline.sync.services import SyncServices

    state = SandboxState()
    state.add_user(BENCH_USER)
    drive = state.drive(BENCH_USER)
    started = time.monotonic()
    ids = seed_files(drive, files)
    figures: dict[str, object] = {"files": files, "seed_seconds": round(time.monotonic() - started, 1)}
    with bench_account(state) as bench_run:
        store, key, instance = bench_run.store, bench_run.key, bench_run.instance
        started = time.monotonic()
        services = SyncServices(store, BlobStore(bench_run.settings.blob_root), OrgPolicy())
        listing = refresh_listing(services, key)
        ingest_directly(store, key)
        store.stage_cursor(key, listing.cursor or "")
        store.commit_staged_cursor(key)
        store.mark_synced(key)
        figures["setup_seconds"] = round(time.monotonic() - started, 1)
        figures["vault_documents"] = store.count_documents(key)

        figures.update(measure(state, "noop", lambda: run_sync(instance, defs, "google_drive", key)))
        figures.update({f"changes_{kind}": n for kind, n in apply_changes(drive, ids, changes).items()})
        figures.update(measure(state, "changed", lambda: run_sync(instance, defs, "google_drive", key)))
        figures["vault_documents_after"] = store.count_documents(key)
    print_figures(figures, as_json)
