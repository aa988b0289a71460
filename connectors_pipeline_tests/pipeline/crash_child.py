"""A Google Drive sync run in its own process, for the crash test; it can SIGKILL itself at a chosen point.

    python -m connectors_pipeline_tests.pipeline.crash_child <dagster instance dir> <partition key>

It imports the project and opens the Dagster instance first, prints `ready`, then reads one line of
JSON from stdin: the kill plan. `{}` runs to the end; `{"phase": P, "event": E, "nth": N}` kills
the process (SIGKILL, no cleanup of any kind) at the N-th event E of phase P:

- phases follow the sync: `start` (lease, job row), `listing`, `export`, `ingest` (extraction and
  vault writes), `commit` (cursor commit, job completion, lease release);
- events: `write` (right after a write statement on a connector/vault table, before its
  transaction commits), `blob` (a chunk of a download or export written to the blob store's temp
  file), `extract` (an item is handed to an extraction worker).

The environment (CONNECTORS_*) is inherited from the test, so the run syncs the test's store, blob
root and sandbox. On a normal end it prints one JSON line: {"success": ..., "run_id": ...}.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

OUR_TABLES = ("connector_", "vault_", "activity_log")
WRITES = ("INSERT", "UPDATE", "DELETE")


class KillSwitch:
    def __init__(self, plan: dict[str, Any]):
        self.plan = plan
        self.phase = "start"
        self.counts: dict[tuple[str, str], int] = {}

    def event(self, event: str) -> None:
        key = (self.phase, event)
        self.counts[key] = self.counts.get(key, 0) + 1
        plan = self.plan
        if plan.get("phase") == self.phase and plan.get("event") == event and plan.get("nth") == self.counts[key]:
            os.kill(os.getpid(), signal.SIGKILL)

    def enter(self, phase: str) -> None:
        self.phase = phase


def install(switch: KillSwitch) -> None:
    """Hooks on the real code paths; nothing about the sync itself changes."""
    import sqlalchemy as sa

    from connectors_pipeline.defs import factory
    from connectors_pipeline.extract.worker_process import ExtractionWorker
    from connectors_pipeline.store.blobs import BlobWriter

    @sa.event.listens_for(sa.engine.Engine, "after_cursor_execute")
    def _after_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        head = statement.lstrip()[:6].upper()
        if head in WRITES and any(table in statement for table in OUR_TABLES):
            switch.event("write")

    def step(phase: str, function, then: str | None = None):
        def wrapped(*args, **kwargs):
            switch.enter(phase)
            result = function(*args, **kwargs)
            if then is not None:
                switch.enter(then)
            return result

        return wrapped

    factory.refresh_listing = step("listing", factory.refresh_listing)
    factory.export_pending = step("export", factory.export_pending)
    factory.ingest_fetched = step("ingest", factory.ingest_fetched, then="commit")

    write = BlobWriter.write

    def blob_write(self, data):
        written = write(self, data)
        self.flush()  # the bytes reach the temp file before the kill
        switch.event("blob")
        return written

    BlobWriter.write = blob_write

    send = ExtractionWorker.send

    def send_with_kill(self, *args, **kwargs):
        switch.event("extract")
        return send(self, *args, **kwargs)

    ExtractionWorker.send = send_with_kill


def main() -> None:
    instance_dir, partition_key = sys.argv[1], sys.argv[2]
    protocol = sys.stdout
    sys.stdout = sys.stderr  # Dagster and anything else print to stderr; stdout carries the protocol

    import dagster as dg

    from connectors_pipeline.definitions import defs

    switch = KillSwitch({})
    install(switch)
    job = defs.resolve_job_def("google_drive_sync")
    instance = dg.DagsterInstance.from_config(instance_dir)
    print("ready", file=protocol, flush=True)

    switch.plan = json.loads(sys.stdin.readline() or "{}")
    result = job.execute_in_process(partition_key=partition_key, instance=instance, raise_on_error=False)
    print(json.dumps({"success": result.success, "run_id": result.run_id}), file=protocol, flush=True)
    instance.dispose()


if __name__ == "__main__":
    main()
