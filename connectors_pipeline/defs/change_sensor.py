"""The change sensor: polls each synced account's change feed cheaply and starts runs only where it moved.

Per account and tick it makes one request when nothing changed (the provider's `has_changes`).
Polls run on a few threads and stop at a time budget far inside Dagster's 60 s sensor limit; the
sensor cursor remembers where the tick stopped, so the next tick carries on from there and every
account is polled in turn, however many there are.

An account whose last job a sync quota held back is due without polling the provider, with one run
per held-back job; a tick requests no more runs for a person than their concurrency quota has room
for (see quota_runs.py).
"""

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg

from connectors_pipeline.defs.account_steps import MODE_TAG
from connectors_pipeline.defs.quota_runs import MODE_OF_JOB_TYPE, RunRoom, held_back_job
from connectors_pipeline.defs.resources import ConnectorsResource
from connectors_pipeline.domain.errors import AuthRevokedError, StaleCursorError
from connectors_pipeline.store import AccountRecord, JobRecord, Store
from connectors_pipeline.sync.cursors import SyncCursor
from connectors_pipeline.sync.listing import scopes_from_sources
from connectors_pipeline.sync.services import SyncServices

POLL_WORKERS = 8
TICK_BUDGET_SECONDS = 20.0  # no new batch of polls starts after this
POLL_GRACE_SECONDS = 20.0  # polls in flight at the budget may finish within this; budget + grace < 60 s
MAX_ATTEMPTS = 5
CONFIRM_EVERY = timedelta(hours=1)
# A run "started" this long without syncing its account is given up and requested again.
GIVE_UP_AFTER = timedelta(hours=6)
RETRY_STATUSES = ("pending", "fetched", "error")
TRIGGER_TAG = "connectors/trigger"
CURSOR_TAG = "connectors/cursor"


@dataclass(frozen=True)
class Poll:
    partition_key: str
    cursor: str  # the committed cursor the poll read from
    # why a run is due: changes, retry_items, stale_cursor, scope_changed, policy_changed, deferred; None if not
    reason: str | None
    error: str | None = None
    held_back: JobRecord | None = None  # for "deferred": the job a quota made leave work for later


def poll_account(services: SyncServices, partition_key: str) -> Poll | None:
    """None for an account not to poll now: no committed cursor yet (its initial sync is the accounts
    sensor's job, unless a quota held it back), or a run is syncing it (it holds the account's lease)."""
    store = services.store
    committed = store.get_cursor(partition_key)
    if store.sync_lease_holder(partition_key) is not None:
        return None
    if (held_back := held_back_job(store, partition_key)) is not None:
        return Poll(partition_key, committed or "", "deferred", held_back=held_back)
    if committed is None:
        return None
    cursor = SyncCursor.decode(committed)
    scopes = scopes_from_sources(store.list_sources(partition_key))
    reason = cursor.snapshot_needed(scopes, services.policy)
    if reason is not None:
        return Poll(partition_key, committed, reason)
    try:
        provider = services.provider(partition_key, retries=False)  # the next tick is the retry
        try:
            if provider.has_changes(cursor.token, scopes):
                return Poll(partition_key, committed, "changes")
        finally:
            getattr(provider, "close", lambda: None)()
        if store.count_items(partition_key, *RETRY_STATUSES):
            # The cursor moved on; these items wait for a sync to fetch them again.
            return Poll(partition_key, committed, "retry_items")
        return Poll(partition_key, committed, None)
    except StaleCursorError:
        return Poll(partition_key, committed, "stale_cursor")
    except AuthRevokedError as exc:
        store.set_account_status(partition_key, "error", error=f"change poll: {exc}")
        store.log_activity("connector_sync_failed", partition_key=partition_key, context={"error": str(exc)})
        return Poll(partition_key, committed, None, error=type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - one account's failure must not stop the tick; retried next tick
        return Poll(partition_key, committed, None, error=type(exc).__name__)


def poll_in_turn(
    services: SyncServices, keys: list[str], after: str | None, deadline: float
) -> tuple[list[Poll], str | None]:
    """Poll the accounts in turn from the one after `after`, a few at a time, until the round's last
    account is polled or time is up. Returns the polls and where the next tick starts (None: the
    round is complete and the next tick starts a new one).

    No batch starts after `deadline`; polls in flight then get POLL_GRACE_SECONDS more, so a slow
    store or provider costs no request twice. A poll still unanswered after that is given up for
    this round (reported as an error) so one hanging account cannot stall the others.
    """
    order = _in_turn(keys, after)
    polls: list[Poll] = []
    pool = ThreadPoolExecutor(max_workers=POLL_WORKERS, thread_name_prefix="poll")
    try:
        for start in range(0, len(order), POLL_WORKERS):
            if start and time.monotonic() > deadline:
                return polls, order[start - 1]
            batch = order[start : start + POLL_WORKERS]
            futures = [pool.submit(poll_account, services, key) for key in batch]
            wait(futures, timeout=max(deadline + POLL_GRACE_SECONDS - time.monotonic(), 0.0))
            for key, future in zip(batch, futures, strict=True):
                if not future.done():
                    polls.append(Poll(key, services.store.get_cursor(key) or "", None, error="no answer in time"))
                elif (poll := future.result()) is not None:
                    polls.append(poll)
        return polls, None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a hung poll must not hold the tick


def mark_confirmed(services: SyncServices, account: AccountRecord) -> None:
    """A quiet poll confirms the vault is up to date: it counts as a sync for freshness (written at
    most once per CONFIRM_EVERY, to spare the store a write per account per tick)."""
    if account.last_sync_at is None or datetime.now(UTC) - account.last_sync_at > CONFIRM_EVERY:
        services.store.mark_synced(account.partition_key)


def _cursor_tag(poll: Poll) -> str:
    if poll.held_back is not None:
        # One run per held-back job: a backlog worked off run by run keeps the same cursor.
        return f"{poll.partition_key}:job-{poll.held_back.id}"
    tag = f"{poll.partition_key}:{hashlib.sha256(poll.cursor.encode()).hexdigest()[:16]}"
    # Retrying failed items has its own budget of runs: items that keep failing at a cursor must not
    # use up the runs that new changes at that same cursor need.
    return f"{tag}:retry" if poll.reason == "retry_items" else tag


def next_run_key(instance: dg.DagsterInstance, store: Store, poll: Poll) -> str | None:
    """The run key for this account and cursor, or None when a run for it is under way or done.

    Keys come from the cursor, so each cursor gets one run; when that run failed for good (after
    Dagster's own retries) or was killed, the next attempt gets the next key, up to MAX_ATTEMPTS,
    after which the reconciliation schedule is what moves the account on.
    """
    records = instance.get_run_records(filters=dg.RunsFilter(tags={CURSOR_TAG: _cursor_tag(poll)}))
    if any(_under_way(record, store, poll.partition_key) for record in records):
        return None
    if len(records) >= MAX_ATTEMPTS:
        return None
    return f"changes:{_cursor_tag(poll)}:{len(records)}"


def _under_way(record: dg.RunRecord, store: Store, partition_key: str) -> bool:
    run = record.dagster_run
    if run.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
        # A failed run that Dagster will retry is still under way (its retry carries the same tags).
        return run.tags.get("dagster/will_retry") == "true"
    if run.status != dg.DagsterRunStatus.STARTED:
        return True  # queued, starting, or done
    # Dagster's default launcher cannot tell a SIGKILLed run from a live one: both stay STARTED.
    # A live run syncing the account renews its lease every few seconds, so a job row still
    # "running" with no lease held (poll_account polls only unleased accounts) was killed.
    job = store.find_job(partition_key, run.run_id)
    if job is not None and job.status == "running" and store.sync_lease_holder(partition_key) is None:
        return False
    # Waiting for a pool slot or a step retry holds no lease either; only a very old run is given up.
    return datetime.now(UTC) - record.create_timestamp.astimezone(UTC) < GIVE_UP_AFTER


def _in_turn(keys: list[str], after: str | None) -> list[str]:
    """The accounts still to poll in this round: in partition-key order, after the one the previous
    tick stopped at (all of them when a round starts)."""
    return [key for key in sorted(keys) if after is None or key > after]


def build_changes_sensor(provider: str, accounts: dg.DynamicPartitionsDefinition, job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{provider}_changes_sensor",
        job_name=job_name,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Polls each synced account's change feed (one request when nothing changed) and "
        "starts an incremental sync only for the accounts with changes.",
    )
    def changes_sensor(context: dg.SensorEvaluationContext, connectors: ConnectorsResource) -> dg.SensorResult:
        services = connectors.services()
        partitions = set(context.instance.get_dynamic_partitions(accounts.name))
        connected = {
            a.partition_key: a
            for a in services.store.list_accounts(provider=provider, statuses=("connected",))
            if a.partition_key in partitions
        }
        after = json.loads(context.cursor).get("after") if context.cursor else None
        deadline = time.monotonic() + TICK_BUDGET_SECONDS
        polls, resume_after = poll_in_turn(services, list(connected), after, deadline)
        requests = []
        room = RunRoom(services)
        for poll in polls:
            if poll.error:
                context.log.warning(f"polling {poll.partition_key} failed ({poll.error}); polled again next round")
            elif poll.reason is None:
                mark_confirmed(services, connected[poll.partition_key])
                continue
            run_key = next_run_key(context.instance, services.store, poll) if poll.reason else None
            if run_key is None or not room.take(connected[poll.partition_key]):
                continue  # a person at their concurrency quota: polled again next tick
            tags = {TRIGGER_TAG: poll.reason or "", CURSOR_TAG: _cursor_tag(poll)}
            mode = MODE_OF_JOB_TYPE.get(poll.held_back.job_type, "incremental") if poll.held_back else "incremental"
            if mode == "reconcile":
                tags[MODE_TAG] = "reconcile"  # a reconciliation held back stays one
            requests.append(dg.RunRequest(partition_key=poll.partition_key, run_key=run_key, tags=tags))
            services.store.log_activity(
                "connector_job_scheduled",
                partition_key=poll.partition_key,
                context={"run_key": run_key, "mode": mode, "reason": poll.reason},
            )
        cursor = json.dumps({"after": resume_after})
        if not requests:
            return dg.SensorResult(
                skip_reason=f"polled {len(polls)} of {len(connected)} account(s): no changes", cursor=cursor
            )
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return changes_sensor
