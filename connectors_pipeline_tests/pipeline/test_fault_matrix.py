"""The fault matrix: for each fault kind at a 10% rate, initial and incremental syncs end equal to the
sandbox's ground truth — nothing lost, nothing twice, every skip with its reason."""

from __future__ import annotations

import random

import pytest

from connectors_pipeline.cli.dagster_runs import RunSummary, run_sync
from connectors_pipeline.definitions import defs
from connectors_pipeline.sandbox.fault_drill import (
    DRILL_ENV,
    FAULT_KINDS,
    FAULT_RATE,
    MAX_RUNS,
    DrillFolder,
    content_mismatches,
    sync_until_converged,
    unexplained_differences,
)
from connectors_pipeline_tests.pipeline.conftest import USER


def sync(world) -> RunSummary:
    return run_sync(world.instance, defs, "google_drive", world.key)


def assert_equal_to_ground_truth(world, folder: DrillFolder) -> None:
    store = world.store
    assert unexplained_differences(world.state, USER, store, world.key, folder.root) == {}
    assert content_mismatches(world.state, USER, store, world.key) == []
    assert store.find_items_sharing_a_document(world.key) == []  # nothing twice
    assert store.find_repeated_versions(world.key) == []
    skipped = store.load_items(world.key, statuses=["skipped", "deleted"]).values()
    assert all(item.skip_reason for item in skipped)  # every skip with its reason


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS))
def test_syncs_under_faults_end_equal_to_ground_truth(drive_world, monkeypatch, kind):
    for name, value in DRILL_ENV.items():
        monkeypatch.setenv(name, value)
    state, store = drive_world.state, drive_world.store
    folder = DrillFolder.plant(state.drive(USER), files=30)
    store.add_source(drive_world.key, kind="folder", external_id=folder.root, name="Drill")
    rule = state.add_fault(kind, rate=FAULT_RATE, seed=11, **FAULT_KINDS[kind])

    initial = sync_until_converged(lambda: sync(drive_world), store, drive_world.key)
    assert initial.runs < MAX_RUNS
    assert_equal_to_ground_truth(drive_world, folder)

    folder.change(random.Random(5))
    incremental = sync_until_converged(lambda: sync(drive_world), store, drive_world.key)
    assert incremental.runs < MAX_RUNS
    assert_equal_to_ground_truth(drive_world, folder)

    assert rule.injected > 0, f"the drill must actually meet {kind} faults"
