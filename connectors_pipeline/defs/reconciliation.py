"""The reconciliation schedule: a full snapshot of every account, compared with what the vault holds.

Change feeds can miss things (Drive's shortcut removals, a bug upstream, a cursor that went stale
quietly). Once a day each account is listed in full; what the snapshot finds that the feed had not
delivered is applied and reported (`feed_missed` metadata, a `connector_reconciliation_completed`
event). Accounts go ACCOUNTS_PER_RUN to a run, as a partition range, like a backfill.
"""

import os

import dagster as dg

from connectors_pipeline.defs.account_steps import MODE_TAG
from connectors_pipeline.defs.batching import range_tags

DEFAULT_CRON = "0 3 * * *"


def reconciliation_requests(partition_keys: list[str], day: str, accounts_per_run: int) -> list[dg.RunRequest]:
    batches = [partition_keys[n : n + accounts_per_run] for n in range(0, len(partition_keys), accounts_per_run)]
    return [
        dg.RunRequest(
            run_key=f"reconcile:{day}:{batch[0]}",
            tags={MODE_TAG: "reconcile", **range_tags(batch[0], batch[-1])},
        )
        for batch in batches
    ]


def build_reconciliation_schedule(
    provider: str, accounts: dg.DynamicPartitionsDefinition, job_name: str, accounts_per_run: int
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=f"{provider}_reconciliation",
        job_name=job_name,
        cron_schedule=os.environ.get("CONNECTORS_RECONCILE_CRON", DEFAULT_CRON),
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Lists every account in full once a day and reports what the change feed missed.",
    )
    def reconciliation(context: dg.ScheduleEvaluationContext) -> dg.SkipReason | list[dg.RunRequest]:
        # Partition order is the accounts' connection order, so a range is a stable batch of accounts;
        # accounts whose consent is gone are skipped inside the run.
        keys = context.instance.get_dynamic_partitions(accounts.name)
        if not keys:
            return dg.SkipReason("no accounts")
        day = f"{context.scheduled_execution_time:%Y-%m-%d}"
        return reconciliation_requests(list(keys), day, accounts_per_run)

    return reconciliation
