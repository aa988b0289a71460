"""The accounts sensor: keeps a provider's partitions equal to its connected accounts."""

import dagster as dg

from connectors_pipeline.defs.resources import ConnectorsResource


def initial_sync_run_key(partition_key: str) -> str:
    return f"initial-sync:{partition_key}"


def build_accounts_sensor(
    provider: str, accounts: dg.DynamicPartitionsDefinition, job_name: str
) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{provider}_accounts_sensor",
        job_name=job_name,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Adds a partition and requests the initial sync when an account connects; "
        "removes the partition when it disconnects.",
    )
    def accounts_sensor(context: dg.SensorEvaluationContext, connectors: ConnectorsResource) -> dg.SensorResult:
        connected = {
            account.partition_key
            for account in connectors.services().store.list_accounts(provider=provider, statuses=("connected", "error"))
        }
        known = set(context.instance.get_dynamic_partitions(accounts.name))
        added, removed = sorted(connected - known), sorted(known - connected)
        if not added and not removed:
            return dg.SensorResult(skip_reason=f"{len(known)} account(s), no change")
        return dg.SensorResult(
            run_requests=[dg.RunRequest(partition_key=key, run_key=initial_sync_run_key(key)) for key in added],
            dynamic_partitions_requests=[
                accounts.build_add_request(added),
                accounts.build_delete_request(removed),
            ],
        )

    return accounts_sensor
