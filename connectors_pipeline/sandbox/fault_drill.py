"""The fault drill: sync a registered folder while the sandbox injects one kind of fault at a rate,
change the folder, sync again, and compare the vault with the sandbox's ground truth each time.

`connectors bench faults` runs it for every kind and prints what the faults cost; the fault-matrix
test runs it and asserts zero difference. Syncs repeat, as the change sensor would start them, until
the account has nothing left to fetch or MAX_RUNS is reached.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.sandbox.corpus import NativeDocument
from connectors_pipeline.sandbox.ground_truth import differences, drive_truth, vault_state
from connectors_pipeline.sandbox.native_export import export_native
from connectors_pipeline.store import Store

FAULT_RATE = 0.1
# Each kind's parameters; a timeout holds the answer past the request timeout of DRILL_ENV.
FAULT_KINDS: dict[str, dict[str, object]] = {
    "rate_limit_429": {"retry_after": 0.05},
    "rate_limit_403": {},
    "server_error": {},
    "latency": {"seconds": 0.05},
    "timeout": {"seconds": 1.0},
    "drop": {},
    "expired_token": {},
    "stale_page_token": {},
    "export_too_large": {},
}
# Short waits so a drill takes seconds, not minutes; the retry logic is the same as in production.
DRILL_ENV = {
    "CONNECTORS_RETRY_BASE_SECONDS": "0.02",
    "CONNECTORS_RETRY_MAX_BACKOFF_SECONDS": "0.2",
    "CONNECTORS_REQUEST_TIMEOUT_SECONDS": "0.5",
}
MAX_RUNS = 5
GOOGLE_DOC = "application/vnd.google-apps.document"
UNFINISHED = ("pending", "fetched", "error")


class RunResult(Protocol):
    run_id: str
    success: bool
    step_retries: int  # steps Dagster retried inside the run


@dataclass
class Convergence:
    runs: int = 0  # sync runs until nothing was left to fetch
    runs_retried: int = 0  # runs beyond the first, plus steps Dagster retried within runs
    requests_retried: int = 0  # by the resilience layer, inside the runs
    seconds: float = 0.0

    def add(self, other: Convergence) -> None:
        for name in ("runs", "runs_retried", "requests_retried", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class DrillFolder:
    """A registered folder of text files, Markdown and Google Docs, and a folder outside it."""

    drive: object
    root: str
    outside: str
    files: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)

    @classmethod
    def plant(cls, drive, files: int) -> DrillFolder:
        root = drive.create_folder("Drill")
        folder = cls(drive, root, drive.create_folder("Outside the drill"))
        folder.folders = [drive.create_folder(f"Part {n}", root) for n in range(3)]
        for n in range(files):
            folder.add_file(n)
        return folder

    def add_file(self, n: int) -> str:
        parent = self.folders[n % len(self.folders)]
        if n % 3 == 0:
            native = NativeDocument(kind="document", title=f"Plan {n}", markdown=f"# Plan {n}\n\nStep {n} of the plan.")
            file_id = self.drive.create_file(f"Plan {n}", parent, GOOGLE_DOC, native=native)
        else:
            body = f"note {n}: " + " ".join(f"word{n}-{k}" for k in range(200))
            file_id = self.drive.create_file(f"note-{n}.txt", parent, "text/plain", body.encode())
        self.files.append(file_id)
        return file_id

    def change(self, rng: random.Random) -> None:
        """Edits, new files, renames, moves (inside and out of scope), trash and deletions."""
        live = [f for f in self.files if f in self.drive.files]
        picked = rng.sample(live, min(len(live), 12))
        for n, file_id in enumerate(picked):
            action = n % 6
            if action == 0:
                f = self.drive.files[file_id]
                if f.native is not None:
                    native = NativeDocument(kind="document", title=f.name, markdown=f.native.markdown + "\n\nEdited.")
                    self.drive.update_content(file_id, native=native)
                else:
                    self.drive.update_content(file_id, (f.content or b"") + b" edited")
            elif action == 1:
                self.drive.rename(file_id, f"renamed-{n}-{self.drive.files[file_id].name}")
            elif action == 2:
                self.drive.move(file_id, rng.choice(self.folders))
            elif action == 3:
                self.drive.move(file_id, self.outside)
            elif action == 4:
                self.drive.trash(file_id)
            else:
                self.drive.delete(file_id)
        for n in range(3):
            self.add_file(len(self.files) + n)


def sync_until_converged(run_sync: Callable[[], RunResult], store: Store, key: str) -> Convergence:
    """Run syncs until the last one succeeded with no item left to fetch (or MAX_RUNS)."""
    outcome = Convergence()
    started = time.monotonic()
    while outcome.runs < MAX_RUNS:
        result = run_sync()
        outcome.runs += 1
        outcome.runs_retried += (outcome.runs > 1) + result.step_retries
        job = store.find_job(key, result.run_id)
        outcome.requests_retried += int(job.counts.get("requests_retried", 0)) if job is not None else 0
        if result.success and not store.count_items(key, *UNFINISHED):
            break
    outcome.seconds = time.monotonic() - started
    return outcome


def unexplained_differences(state, email: str, store: Store, key: str, root: str) -> dict[str, tuple]:
    """Where the vault and the sandbox disagree, leaving out only what the export_too_large fault
    decided: a document Drive refused to export is rightly skipped with that reason."""
    drive = state.drive(email)
    truth = drive_truth(drive, set(store.load_items(key)), OrgPolicy(), root)
    refused = _refused_exports(state)
    return {
        item: (expected, recorded)
        for item, (expected, recorded) in differences(truth, vault_state(store, key)).items()
        if not (item in refused and recorded == ("skipped:export_too_large", None))
    }


def content_mismatches(state, email: str, store: Store, key: str) -> list[str]:
    """Ingested items whose stored bytes differ from what the sandbox serves now (a truncated or
    stale body that slipped through would show here)."""
    drive = state.drive(email)
    wrong = []
    for external_id, item in store.load_items(key, statuses=["synced"]).items():
        document = store.get_document(item.vault_document_id)
        f = drive.files.get(external_id)
        if f is None:
            wrong.append(external_id)
            continue
        if f.native is not None:
            expected = export_native(f.native, document.content_mime)
        else:
            expected = f.content or b""
        if document.blob_sha256 != hashlib.sha256(expected).hexdigest():
            wrong.append(external_id)
    return wrong


EXPORT_PATH = re.compile(r"^/drive/v3/files/([^/]+)/export$")


def _refused_exports(state) -> set[str]:
    return {
        match.group(1)
        for request in state.requests
        if request.fault == "export_too_large" and (match := EXPORT_PATH.match(request.path))
    }
