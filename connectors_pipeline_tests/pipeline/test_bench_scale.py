"""`connectors bench scale` at a tiny size: its figures agree with each other and with the corpora's ground truth."""

from __future__ import annotations

import math
import os

from connectors_pipeline.cli.bench_scale import ScaleSandbox, account_corpus, measure_database, seed_people
from connectors_pipeline.defs.batching import ACCOUNTS_PER_RUN
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.sandbox import SandboxServer, SandboxState
from connectors_pipeline_tests.pipeline.ground_truth import INGESTED, expected_by_id

ACCOUNTS, FILES = 12, 3


def expected_vault_rows(accounts: int, files: int) -> int:
    total = 0
    for n in range(accounts):
        corpus = account_corpus(n, files)
        outcomes = expected_by_id(corpus, {index: str(index) for index in range(len(corpus))}, OrgPolicy())
        total += sum(outcome == INGESTED for outcome in outcomes.values())
    return total


def test_a_dozen_accounts_are_synced_in_batched_runs_and_polled_by_the_change_sensor(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("ORG_CONNECTORS_"):
            monkeypatch.delenv(name)
    state = SandboxState()
    emails = seed_people(state, ACCOUNTS, FILES)
    with SandboxServer(state, port=0) as server:
        figures = measure_database(ScaleSandbox(state, server.url, emails), None, tmp_path / "sqlite", changed=3)

    runs = math.ceil(ACCOUNTS / ACCOUNTS_PER_RUN)
    assert figures["accounts_sensor_partitions_added"] == ACCOUNTS
    assert figures["accounts_sensor_run_requests"] == figures["backfill_runs"] == runs
    assert figures["accounts_in_run_requests"] == ACCOUNTS
    assert figures["accounts_sensor_2nd_tick_runs"] == 0
    assert figures["backfill_runs_failed"] == 0
    assert figures["accounts_synced"] == ACCOUNTS and figures["items_not_settled"] == 0
    assert figures["vault_rows"] == expected_vault_rows(ACCOUNTS, FILES)
    assert figures["changes_quiet_polls"] == ACCOUNTS and figures["changes_quiet_run_requests"] == 0
    assert figures["changes_busy_run_requests"] == figures["changes_accounts_changed"] == 3
    assert figures["changes_busy_requests_match"] is True
