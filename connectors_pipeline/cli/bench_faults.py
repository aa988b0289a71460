"""`connectors bench faults`: the fault drill for every fault kind, and what each kind cost.

For each kind a fresh sandbox account gets a registered folder; the sandbox injects that fault
into FAULT_RATE of the matching requests; syncs run (initial, then incremental after changes)
until nothing is left to fetch. A drill without faults gives the baseline time.
"""

from __future__ import annotations

import os
import random
import time

import click

from connectors_pipeline.cli.bench_setup import BENCH_USER, bench_account
from connectors_pipeline.cli.dagster_runs import run_sync
from connectors_pipeline.sandbox.fault_drill import (
    DRILL_ENV,
    FAULT_KINDS,
    FAULT_RATE,
    Convergence,
    DrillFolder,
    content_mismatches,
    sync_until_converged,
    unexplained_differences,
)


@click.command("faults")
@click.option("--files", default=200, show_default=True, help="Files in the drill's registered folder.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(sorted(FAULT_KINDS)), help="Default: every kind.")
def faults(files: int, kinds: tuple[str, ...]) -> None:
    """Per fault kind at a 10% rate: requests retried, runs retried, seconds added, difference from ground truth."""
    os.environ.update(DRILL_ENV)
    _drill(None, files)  # warm-up: the first drill of a process pays for imports and the extraction pool
    _, baseline, baseline_difference = _drill(None, files)
    header = ("fault kind", "injected", "req. retried", "runs retried", "seconds", "added", "difference")
    click.echo("{:<18} {:>8} {:>12} {:>12} {:>8} {:>8} {:>10}".format(*header))
    _row("(none)", 0, baseline, baseline.seconds, baseline_difference)
    for kind in kinds or sorted(FAULT_KINDS):
        injected, outcome, difference = _drill(kind, files)
        _row(kind, injected, outcome, baseline.seconds, difference)


def _row(kind: str, injected: int, outcome: Convergence, baseline_seconds: float, difference: int) -> None:
    added = outcome.seconds - baseline_seconds
    click.echo(
        f"{kind:<18} {injected:>8} {outcome.requests_retried:>12} {outcome.runs_retried:>12} "
        f"{outcome.seconds:>8.2f} {added:>+8.2f} {difference:>10}"
    )


def _drill(kind: str | None, files: int) -> tuple[int, Convergence, int]:
    """(faults injected, initial + incremental convergence, items differing from ground truth)."""
    from connectors_pipeline.definitions import defs
    from connectors_pipeline.sandbox import SandboxState

    state = SandboxState()
    state.add_user(BENCH_USER)
    folder = DrillFolder.plant(state.drive(BENCH_USER), files)
    with bench_account(state) as account:
        store, key = account.store, account.key
        store.add_source(key, kind="folder", external_id=folder.root, name="Drill")
        rule = state.add_fault(kind, rate=FAULT_RATE, seed=11, **FAULT_KINDS[kind]) if kind else None
        total = Convergence()
        started = time.monotonic()
        total.add(sync_until_converged(lambda: run_sync(account.instance, defs, "google_drive", key), store, key))
        folder.change(random.Random(5))
        total.add(sync_until_converged(lambda: run_sync(account.instance, defs, "google_drive", key), store, key))
        total.seconds = time.monotonic() - started
        wrong = unexplained_differences(state, BENCH_USER, store, key, folder.root)
        mismatched = content_mismatches(state, BENCH_USER, store, key)
        return (rule.injected if rule else 0), total, len(wrong) + len(mismatched)
