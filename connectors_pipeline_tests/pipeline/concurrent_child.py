"""Google Drive sync runs in their own process, for the concurrency test: one run of the real job per line read.

    python -m connectors_pipeline_tests.pipeline.concurrent_child <dagster instance dir> <partition key>

It imports the project and opens the Dagster instance first and prints `ready`. Then, for every line
on stdin, it runs the google_drive_sync job for the partition and prints one JSON line:
{"success": ..., "run_id": ..., "staged": [cursors this run staged]}. It ends at end of input.

The environment (CONNECTORS_*) is inherited from the test, so the runs sync the test's store, blob
root and sandbox. `staged` comes from watching Store.stage_cursor, so the test can tell every
committed cursor was staged by a run that finished, without trusting the store's own bookkeeping.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    instance_dir, partition_key = sys.argv[1], sys.argv[2]
    protocol = sys.stdout
    sys.stdout = sys.stderr  # Dagster and anything else print to stderr; stdout carries the protocol

    import dagster as dg

    from connectors_pipeline.definitions import defs
    from connectors_pipeline.store import Store

    staged: list[str] = []
    stage = Store.stage_cursor

    def watched_stage(self, key, value, *args, **kwargs):
        stage(self, key, value, *args, **kwargs)
        staged.append(value)  # only once the store accepted it

    Store.stage_cursor = watched_stage
    job = defs.resolve_job_def("google_drive_sync")
    instance = dg.DagsterInstance.from_config(instance_dir)
    print("ready", file=protocol, flush=True)

    for _line in sys.stdin:
        staged.clear()
        result = job.execute_in_process(partition_key=partition_key, instance=instance, raise_on_error=False)
        report = {"success": result.success, "run_id": result.run_id, "staged": list(staged)}
        print(json.dumps(report), file=protocol, flush=True)
    instance.dispose()


if __name__ == "__main__":
    main()
