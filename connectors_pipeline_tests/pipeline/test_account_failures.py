"""One account failing never stops the others of a batched run; permanent failures are not retried."""

from __future__ import annotations

from collections import Counter

import dagster as dg

from connectors_pipeline.connect import connect_account
from connectors_pipeline.definitions import defs
from connectors_pipeline.defs.account_steps import for_each_account
from connectors_pipeline.defs.resources import ConnectorsResource
from connectors_pipeline.domain.errors import TransientError
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.sandbox import sandbox_client_config, seed_drive
from connectors_pipeline.sandbox.corpus import generate_corpus
from connectors_pipeline_tests.pipeline.conftest import USER

OTHER = "bob@example.com"


def run(world, **kwargs):
    return defs.resolve_job_def("google_drive_sync").execute_in_process(
        instance=world.instance, raise_on_error=False, **kwargs
    )


def revoke_consent(world, email: str) -> None:
    world.state.revoke_user_grants(email)
    world.state.expire_access_tokens(email)


def test_a_revoked_account_fails_alone_and_the_batch_syncs_the_others(drive_world):
    seed_drive(drive_world.state, OTHER, generate_corpus(seed=3, files=20))
    other = connect_account(
        drive_world.store,
        OrgPolicy(),
        "google_drive",
        sandbox_client_config(drive_world.server.url),
        mode="sandbox",
        login_hint=OTHER,
    )
    drive_world.instance.add_dynamic_partitions("google_drive_accounts", [other.partition_key])
    revoke_consent(drive_world, USER)

    result = run(
        drive_world,
        tags={
            "dagster/asset_partition_range_start": drive_world.key,
            "dagster/asset_partition_range_end": other.partition_key,
        },
    )

    store = drive_world.store
    assert not result.success, "the run must not look green while an account failed"
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert store.count_documents(other.partition_key) > 0
    assert store.count_documents(drive_world.key) == 0
    failed = store.get_account(drive_world.key)
    assert failed.status == "error" and "AuthRevokedError" in failed.last_error
    jobs = {job.partition_key: job.status for job in store.list_jobs() if job.dagster_run_id == result.run_id}
    assert jobs == {drive_world.key: "failed", other.partition_key: "succeeded"}
    events = [(a.event, a.partition_key) for a in store.list_activity(limit=200)]
    assert ("connector_sync_failed", drive_world.key) in events
    listing = next(e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "file_listing")
    assert listing.materialization.metadata["accounts_failed"].value == 1


def test_a_run_whose_only_account_is_revoked_fails_without_retries(drive_world):
    revoke_consent(drive_world, USER)

    result = run(drive_world, partition_key=drive_world.key)

    assert not result.success
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    refused_refreshes = [r for r in drive_world.state.requests_to("^/token$") if r.status == 400]
    assert len(refused_refreshes) == 1, "one refresh attempt, no retried step"


def test_a_step_retried_after_a_transient_failure_runs_the_account_again(drive_world):
    attempts: Counter[str] = Counter()

    @dg.asset(
        partitions_def=dg.DynamicPartitionsDefinition(name="google_drive_accounts"),
        retry_policy=dg.RetryPolicy(max_retries=2),
    )
    def flaky(context, connectors: ConnectorsResource):
        def step(key: str) -> str:
            attempts[key] += 1
            if attempts[key] == 1:
                raise TransientError("the provider answered 503")
            return key

        done = for_each_account(context, connectors.services(), "exported_documents", step)
        return dg.MaterializeResult(metadata={"accounts_done": len(done)})

    result = dg.materialize(
        [flaky],
        partition_key=drive_world.key,
        instance=drive_world.instance,
        resources={"connectors": ConnectorsResource()},
        raise_on_error=False,
    )

    assert result.success
    assert attempts[drive_world.key] == 2
    job = drive_world.store.find_job(drive_world.key, result.run_id)
    assert job is not None and job.status == "running" and job.attempts == 2
