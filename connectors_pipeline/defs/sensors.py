"""The accounts sensor: keeps a provider's partitions equal to its accounts and starts each connection's first sync."""

import json

import dagster as dg

from connectors_pipeline.defs.resources import ConnectorsResource
from connectors_pipeline.store import AccountRecord


def connection_id(account: AccountRecord) -> str:
    return str(account.metadata.get("connection_id", ""))


def initial_sync_run_key(account: AccountRecord) -> str:
    """One initial sync per connection: a reconnect is a new connection with a new key."""
    return f"initial-sync:{account.partition_key}:{connection_id(account)}"


def build_accounts_sensor(
    provider: str, accounts: dg.DynamicPartitionsDefinition, job_name: str
) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{provider}_accounts_sensor",
        job_name=job_name,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Adds a partition and requests the initial sync when an account connects (or reconnects); "
        "removes the partition when it disconnects.",
    )
    def accounts_sensor(context: dg.SensorEvaluationContext, connectors: ConnectorsResource) -> dg.SensorResult:
        store = connectors.services().store
        # Accounts in `error` (consent gone) keep their partition and history but get no new run.
        listed = {a.partition_key: a for a in store.list_accounts(provider=provider, statuses=("connected", "error"))}
        known = set(context.instance.get_dynamic_partitions(accounts.name))
        added, removed = sorted(set(listed) - known), sorted(known - set(listed))
        # The cursor remembers which connection of each account got its initial sync, so a removal and
        # reconnect between two ticks still starts one.
        started: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        to_sync = sorted(
            key for key, a in listed.items() if a.status == "connected" and started.get(key) != connection_id(a)
        )
        if not added and not removed and not to_sync:
            return dg.SensorResult(skip_reason=f"{len(known)} account(s), no change")
        cursor = {key: value for key, value in started.items() if key in listed}
        cursor.update({key: connection_id(listed[key]) for key in to_sync})
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(partition_key=key, run_key=initial_sync_run_key(listed[key])) for key in to_sync
            ],
            dynamic_partitions_requests=[accounts.build_add_request(added), accounts.build_delete_request(removed)],
            cursor=json.dumps(cursor, sort_keys=True),
        )

    return accounts_sensor
