"""The accounts sensor: keeps a provider's partitions equal to its accounts and starts each connection's first sync."""

import hashlib
import json

import dagster as dg

from connectors_pipeline.defs.batching import ACCOUNTS_PER_RUN, range_tags
from connectors_pipeline.defs.resources import ConnectorsResource
from connectors_pipeline.store import AccountRecord


def connection_id(account: AccountRecord) -> str:
    return str(account.metadata.get("connection_id", ""))


def initial_sync_run_key(account: AccountRecord) -> str:
    """One initial sync per connection: a reconnect is a new connection with a new key."""
    return f"initial-sync:{account.partition_key}:{connection_id(account)}"


def initial_sync_requests(accounts: list[AccountRecord], partition_order: list[str]) -> list[dg.RunRequest]:
    """The initial syncs, ACCOUNTS_PER_RUN accounts to a run where their partitions are adjacent (a
    partition range, like a backfill's), so a thousand new accounts are a hundred runs, not a thousand."""
    position = {key: n for n, key in enumerate(partition_order)}
    ordered = sorted(accounts, key=lambda a: position[a.partition_key])
    batches: list[list[AccountRecord]] = []
    for account in ordered:
        last = batches[-1] if batches else None
        adjacent = last is not None and position[account.partition_key] == position[last[-1].partition_key] + 1
        if adjacent and len(last) < ACCOUNTS_PER_RUN:
            last.append(account)
        else:
            batches.append([account])
    requests = []
    for batch in batches:
        if len(batch) == 1:
            requests.append(dg.RunRequest(partition_key=batch[0].partition_key, run_key=initial_sync_run_key(batch[0])))
            continue
        connections = hashlib.sha256("|".join(initial_sync_run_key(a) for a in batch).encode()).hexdigest()[:16]
        first, last_key = batch[0].partition_key, batch[-1].partition_key
        requests.append(
            dg.RunRequest(
                run_key=f"initial-sync:{first}..{last_key}:{connections}",
                tags=range_tags(first, last_key),
            )
        )
    return requests


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
        partition_order = context.instance.get_dynamic_partitions(accounts.name)
        known = set(partition_order)
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
        # Partitions keep insertion order, so the new ones follow the known ones: runs take ranges.
        order = [key for key in partition_order if key not in removed] + added
        return dg.SensorResult(
            run_requests=initial_sync_requests([listed[key] for key in to_sync], order),
            dynamic_partitions_requests=[accounts.build_add_request(added), accounts.build_delete_request(removed)],
            cursor=json.dumps(cursor, sort_keys=True),
        )

    return accounts_sensor
