"""The accounts sensor: keeps a provider's partitions equal to its connected accounts."""

import dagster as dg

from connectors_pipeline.defs.resources import ConnectorsResource
from connectors_pipeline.store import AccountRecord


def initial_sync_run_key(account: AccountRecord) -> str:
    """One initial sync per connection: a reconnect after removal is a new connection with a new key."""
    return f"initial-sync:{account.partition_key}:{account.metadata.get('connected_at', '')}"


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
        accounts_by_key = {
            account.partition_key: account
            for account in connectors.services().store.list_accounts(provider=provider, statuses=("connected", "error"))
        }
        connected = set(accounts_by_key)
        known = set(context.instance.get_dynamic_partitions(accounts.name))
        added, removed = sorted(connected - known), sorted(known - connected)
        if not added and not removed:
            return dg.SensorResult(skip_reason=f"{len(known)} account(s), no change")
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(partition_key=key, run_key=initial_sync_run_key(accounts_by_key[key])) for key in added
            ],
            dynamic_partitions_requests=[
                accounts.build_add_request(added),
                accounts.build_delete_request(removed),
            ],
        )

    return accounts_sensor
