"""The reconciliation schedule: every account listed in full once a day, ten to a run, feed misses reported."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from connectors_pipeline.definitions import defs
from connectors_pipeline.defs.batching import RANGE_END, RANGE_START
from connectors_pipeline.defs.reconciliation import reconciliation_requests

SCHEDULE = "google_drive_reconciliation"


def test_accounts_are_batched_ten_to_a_run_as_partition_ranges():
    keys = [f"google_drive-{n:012x}" for n in range(23)]
    requests = reconciliation_requests(keys, "2026-11-23", 10)
    assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in requests] == [
        (keys[0], keys[9]),
        (keys[10], keys[19]),
        (keys[20], keys[22]),
    ]
    assert {r.tags["connectors/mode"] for r in requests} == {"reconcile"}
    assert len({r.run_key for r in requests}) == 3


def test_the_schedule_runs_a_reconciliation_that_reports_what_the_feed_missed(drive_world):
    job = defs.resolve_job_def("google_drive_sync")
    assert job.execute_in_process(partition_key=drive_world.key, instance=drive_world.instance).success
    schedule = defs.resolve_schedule_def(SCHEDULE)
    when = datetime(2026, 11, 24, 3, tzinfo=UTC)

    with dg.build_schedule_context(instance=drive_world.instance, scheduled_execution_time=when) as context:
        [request] = schedule.evaluate_tick(context).run_requests

    assert request.run_key == f"reconcile:2026-11-24:{drive_world.key}"
    result = job.execute_in_process(instance=drive_world.instance, tags=dict(request.tags))
    assert result.success
    listing = result.asset_materializations_for_node("google_drive__file_listing")[0].metadata
    assert listing["sync_modes"].value == {"reconcile": 1}
    assert listing["feed_missed"].value == {"new": 0, "changed": 0, "moved": 0, "removed": 0}
    job_row = drive_world.store.list_jobs(limit=1, partition_key=drive_world.key)[0]
    assert job_row.job_type == "reconciliation" and job_row.status == "succeeded"


def test_no_accounts_no_runs():
    schedule = defs.resolve_schedule_def(SCHEDULE)
    with dg.instance_for_test() as instance, dg.build_schedule_context(instance=instance) as context:
        assert schedule.evaluate_tick(context).run_requests in (None, [])
