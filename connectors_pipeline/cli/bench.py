"""`connectors bench ...`: figures, not tests — each benchmark prints what it measured."""

from __future__ import annotations

import io
import os
import time
from concurrent.futures import ThreadPoolExecutor

import click

from connectors_pipeline.cli.bench_faults import faults
from connectors_pipeline.cli.bench_incremental import incremental
from connectors_pipeline.cli.bench_notion import notion
from connectors_pipeline.cli.bench_scale import scale
from connectors_pipeline.cli.bench_setup import BENCH_USER, bench_account
from connectors_pipeline.cli.dagster_runs import run_sync
from connectors_pipeline.cli.display import print_figures
from connectors_pipeline.resilience.guard import UNGUARDED


@click.group()
def bench() -> None:
    """Benchmarks against the sandbox; they print figures."""


@bench.command("initial")
@click.option("--files", default=2000, show_default=True)
@click.option("--latency-ms", default=20, show_default=True, help="Sandbox latency added to every API request.")
@click.option(
    "--workers",
    default=8,
    show_default=True,
    help="Concurrent fetches, for both the sync and the bare download.",
)
@click.option("--json", "as_json", is_flag=True)
def initial(files: int, latency_ms: int, workers: int, as_json: bool) -> None:
    """Initial sync of a sandbox account through Dagster vs a bare concurrent download of the same files."""
    from connectors_pipeline.definitions import defs
    from connectors_pipeline.sandbox import SandboxState, seed_drive
    from connectors_pipeline.sandbox.corpus import generate_corpus

    state = SandboxState(latency_ms=latency_ms)
    state.add_user(BENCH_USER)
    seed_drive(state, BENCH_USER, generate_corpus(seed=1, files=files))
    with bench_account(state) as bench_run:
        store, key = bench_run.store, bench_run.key
        os.environ["CONNECTORS_FETCH_WORKERS"] = str(workers)
        started = time.monotonic()
        run = run_sync(bench_run.instance, defs, "google_drive", key)
        sync_seconds = time.monotonic() - started
        synced = [i for i in store.load_items(key, statuses=("synced",)).values()]
        bare_seconds = _bare_download(store, key, synced, workers)
    sync_rate, bare_rate = len(synced) / sync_seconds, len(synced) / bare_seconds
    figures = {
        "files_in_corpus": files,
        "files_ingested": len(synced),
        "latency_ms": latency_ms,
        "workers": workers,
        "run_succeeded": run.success,
        "sync_seconds": round(sync_seconds, 2),
        **{
            f"step_{asset.split('/')[-1]}_seconds": meta.get("duration_seconds") for asset, meta in run.metadata.items()
        },
        "sync_files_per_second": round(sync_rate, 1),
        "bare_download_seconds": round(bare_seconds, 2),
        "bare_download_files_per_second": round(bare_rate, 1),
        "sync_to_bare_ratio": round(sync_rate / bare_rate, 2),
    }
    print_figures(figures, as_json)


def _bare_download(store, key: str, items, workers: int) -> float:
    """The same files, same sandbox, same client library and threads — but no store, blobs or extraction."""
    from connectors_pipeline.providers.registry import provider_info
    from connectors_pipeline.sync.export import item_from_record

    spec = provider_info("google_drive")
    client, tokens = store.load_credentials(key)
    provider = spec.factory(client, tokens, lambda _fresh: None, UNGUARDED)

    def fetch(record) -> int:
        sink = io.BytesIO()
        provider.fetch(item_from_record("google_drive", record), spec.default_export_plan, sink)
        return sink.tell()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(fetch, items))
    return time.monotonic() - started


bench.add_command(incremental)
bench.add_command(faults)
bench.add_command(notion)
bench.add_command(scale)
