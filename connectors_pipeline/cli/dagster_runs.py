"""Driving the code location from the CLI: evaluate the accounts sensor, then run the sync job in process."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    success: bool
    metadata: dict[str, dict[str, object]]  # asset key -> materialization metadata (plain values)
    failed_checks: list[str]
    step_retries: int = 0  # steps Dagster retried within the run


def apply_accounts_sensor(instance: dg.DagsterInstance, defs: dg.Definitions, provider: str) -> list[str]:
    """One tick of the accounts sensor, as the daemon would run it; returns partitions it asked to sync."""
    sensor = defs.resolve_sensor_def(f"{provider}_accounts_sensor")
    with dg.build_sensor_context(instance=instance, definitions=defs, resources=defs.resources) as context:
        result = sensor(context)
    apply_partition_requests(instance, result)
    return [r.partition_key for r in result.run_requests or [] if r.partition_key]


def apply_partition_requests(instance: dg.DagsterInstance, result: dg.SensorResult) -> None:
    """Add and delete the partitions a sensor tick asked for, as the daemon does after the tick."""
    for request in result.dynamic_partitions_requests or []:
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)


def run_sync(instance: dg.DagsterInstance, defs: dg.Definitions, provider: str, partition_key: str) -> RunSummary:
    job = defs.resolve_job_def(f"{provider}_sync")
    result = job.execute_in_process(
        partition_key=partition_key,
        instance=instance,
        raise_on_error=False,
        # The event log keeps every event for the UI; the terminal only needs warnings and errors.
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    materializations = (e.event_specific_data.materialization for e in result.get_asset_materialization_events())
    metadata = {m.asset_key.to_user_string(): {k: v.value for k, v in m.metadata.items()} for m in materializations}
    failed_checks = [
        evaluation.check_name for evaluation in result.get_asset_check_evaluations() if not evaluation.passed
    ]
    step_retries = sum(e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)
    return RunSummary(result.run_id, result.success, metadata, failed_checks, step_retries)
