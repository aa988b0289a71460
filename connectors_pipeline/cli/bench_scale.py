"""`connectors bench scale`: many connected accounts through the real sensors and the batched backfill.

One sandbox holds N people, each with a small Drive corpus of their own. For each database (a
throwaway SQLite home; a fresh PostgreSQL database, created and dropped here) all N are connected,
then, through Dagster's own API:

1. one tick of the accounts sensor adds N partitions and requests the initial syncs, ten adjacent
   accounts to a run (a partition range); a second tick finds nothing to do;
2. those requests run as the backfill would run them, with the sync job in process: runs, seconds,
   vault rows (documents) written per second;
3. the change sensor goes round all N accounts, nothing changed, then again after a few accounts
   changed: ticks, seconds, and the runs it requests.

Dagster's instance is a local SQLite one in both cases: the database compared is the connector store.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import click
import dagster as dg
import sqlalchemy as sa

from connectors_pipeline.cli.bench_accounts import connect_sandbox_drives
from connectors_pipeline.cli.bench_incremental import peak_rss
from connectors_pipeline.cli.dagster_runs import apply_partition_requests
from connectors_pipeline.cli.display import print_figures
from connectors_pipeline.cli.runtime import open_store
from connectors_pipeline.defs.batching import RANGE_END, RANGE_START
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import Store
from connectors_pipeline.store.cipher import KeyRing

if TYPE_CHECKING:  # the sandbox is imported only when a bench runs
    from connectors_pipeline.sandbox import SandboxState
    from connectors_pipeline.sandbox.corpus import CorpusFile

PROVIDER = "google_drive"
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
CHANGED_ACCOUNTS = 5
SHARED_SEED = 0
# The corpus entries of many megabytes (a file over the size policy, a document Drive will not export):
# every account has them, but one copy serves all, so a thousand accounts do not hold a thousand.
HUGE_LABELS = ("oversize", "export_too_large")
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@lru_cache(maxsize=1)
def _huge_entries() -> dict[str, CorpusFile]:
    from connectors_pipeline.sandbox.corpus import generate_corpus

    return {entry.label: entry for entry in generate_corpus(SHARED_SEED, files=0) if entry.label in HUGE_LABELS}


def account_corpus(n: int, files: int) -> list[CorpusFile]:
    """Person n's corpus (`generate_corpus` with their own seed), the huge entries shared."""
    from connectors_pipeline.sandbox.corpus import generate_corpus

    huge = _huge_entries()
    return [huge.get(entry.label, entry) for entry in generate_corpus(seed=n + 1, files=files)]


def person(n: int) -> str:
    return f"person{n:04d}@example.com"


def seed_people(state: SandboxState, accounts: int, files: int) -> list[str]:
    """E-mails of the people seeded; no corpus is kept beyond its user's drive."""
    from connectors_pipeline.sandbox import seed_drive

    emails = [person(n) for n in range(accounts)]
    for n, email in enumerate(emails):
        seed_drive(state, email, account_corpus(n, files))
    return emails


@dataclass
class ScaleSandbox:
    state: SandboxState
    url: str
    emails: list[str]


@contextmanager
def bench_environment(workdir: Path, database_url: str | None) -> Iterator[Settings]:
    """CONNECTORS_* for one database, restored afterwards."""
    names = ("CONNECTORS_HOME", "CONNECTORS_DATABASE_URL", "CONNECTORS_ENCRYPTION_KEYS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({"CONNECTORS_HOME": str(workdir / "home"), "CONNECTORS_ENCRYPTION_KEYS": KeyRing.generate_key()})
    if database_url is None:
        os.environ.pop("CONNECTORS_DATABASE_URL", None)
    else:
        os.environ["CONNECTORS_DATABASE_URL"] = database_url
    try:
        yield Settings.from_env()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server at `server_url`, dropped afterwards; yields its URL."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"connectors_bench_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def evaluate_sensor(instance: dg.DagsterInstance, name: str, cursor: str | None) -> tuple[dg.SensorResult, float]:
    """One tick, as the daemon evaluates it (resources set up and torn down); and its seconds."""
    from connectors_pipeline.definitions import defs

    sensor = defs.resolve_sensor_def(name)
    started = time.monotonic()
    with dg.build_sensor_context(instance=instance, definitions=defs, resources=defs.resources, cursor=cursor) as ctx:
        result = sensor(ctx)
    return result, time.monotonic() - started


def accounts_sensor_ticks(instance: dg.DagsterInstance) -> tuple[dict[str, object], list[dg.RunRequest]]:
    first, seconds = evaluate_sensor(instance, f"{PROVIDER}_accounts_sensor", None)
    added = sum(
        len(r.partition_keys)
        for r in first.dynamic_partitions_requests or []
        if isinstance(r, dg.AddDynamicPartitionsRequest)
    )
    started = time.monotonic()
    apply_partition_requests(instance, first)
    apply_seconds = time.monotonic() - started
    requests = list(first.run_requests or [])
    second, quiet_seconds = evaluate_sensor(instance, f"{PROVIDER}_accounts_sensor", first.cursor)
    return {
        "accounts_sensor_tick_seconds": round(seconds, 2),
        "accounts_sensor_partitions_added": added,
        "partitions_add_seconds": round(apply_seconds, 2),
        "accounts_sensor_run_requests": len(requests),
        "accounts_in_run_requests": accounts_in(instance.get_dynamic_partitions(f"{PROVIDER}_accounts"), requests),
        "accounts_sensor_2nd_tick_seconds": round(quiet_seconds, 2),
        "accounts_sensor_2nd_tick_runs": len(second.run_requests or []),
    }, requests


def accounts_in(partition_order: list[str], requests: list[dg.RunRequest]) -> int:
    """Accounts the requests cover: one each for a partition, the range's length for a range."""
    position = {key: n for n, key in enumerate(partition_order)}
    return sum(
        1 if r.partition_key else position[r.tags[RANGE_END]] - position[r.tags[RANGE_START]] + 1 for r in requests
    )


def backfill(instance: dg.DagsterInstance, requests: list[dg.RunRequest], store: Store) -> dict[str, object]:
    """The initial-sync requests, run one after another as the backfill daemon would launch them."""
    from connectors_pipeline.definitions import defs

    job = defs.resolve_job_def(f"{PROVIDER}_sync")
    run_seconds, failed = [], 0
    started = time.monotonic()
    for request in requests:
        run_started = time.monotonic()
        result = job.execute_in_process(
            instance=instance,
            partition_key=request.partition_key,
            tags=dict(request.tags),
            run_config=QUIET_LOGS,
            raise_on_error=False,
        )
        run_seconds.append(time.monotonic() - run_started)
        failed += not result.success
    seconds = time.monotonic() - started
    rows = store.count_documents()
    accounts = store.list_accounts(provider=PROVIDER)
    run_seconds.sort()
    return {
        "backfill_runs": len(requests),
        "backfill_runs_failed": failed,
        "backfill_seconds": round(seconds, 1),
        "backfill_run_seconds_median": round(run_seconds[len(run_seconds) // 2], 2) if run_seconds else 0,
        "backfill_run_seconds_max": round(run_seconds[-1], 2) if run_seconds else 0,
        "accounts_synced": sum(
            a.last_sync_at is not None and store.get_cursor(a.partition_key) is not None for a in accounts
        ),
        "items_not_settled": sum(store.count_items(a.partition_key, "pending", "fetched", "error") for a in accounts),
        "vault_rows": rows,
        "vault_rows_per_second": round(rows / seconds, 1) if seconds else 0,
    }


def change_round(instance: dg.DagsterInstance, max_ticks: int = 100) -> tuple[list[float], list[dg.RunRequest]]:
    """Ticks of the change sensor until it has been round every account once: seconds and requests."""
    name = f"{PROVIDER}_changes_sensor"
    ticks: list[float] = []
    requests: list[dg.RunRequest] = []
    cursor = None
    while len(ticks) < max_ticks:
        result, seconds = evaluate_sensor(instance, name, cursor)
        ticks.append(seconds)
        requests += result.run_requests or []
        cursor = result.cursor
        if json.loads(cursor or "{}").get("after") is None:
            break
    return ticks, requests


def change_rounds(instance: dg.DagsterInstance, sandbox: ScaleSandbox, keys: dict[str, str], changed: int) -> dict:
    state = sandbox.state
    state.reset_requests()
    quiet_ticks, quiet_requests = change_round(instance)
    polls = len(state.requests_to(r"^/drive/v3/changes$"))
    picked = sorted(keys)[:: max(1, len(keys) // changed)][:changed]
    created = {key: state.drive(keys[key]).create_file("change.txt", None, "text/plain", b"changed") for key in picked}
    try:
        ticks, requests = change_round(instance)
    finally:
        for key, file_id in created.items():  # the next database starts from the same corpus
            state.drive(keys[key]).delete(file_id)
        state.reset_requests()
    return {
        "changes_quiet_round_ticks": len(quiet_ticks),
        "changes_quiet_round_seconds": round(sum(quiet_ticks), 2),
        "changes_quiet_max_tick_seconds": round(max(quiet_ticks), 2),
        "changes_quiet_polls": polls,
        "changes_quiet_run_requests": len(quiet_requests),
        "changes_accounts_changed": len(picked),
        "changes_busy_round_ticks": len(ticks),
        "changes_busy_round_seconds": round(sum(ticks), 2),
        "changes_busy_max_tick_seconds": round(max(ticks), 2),
        "changes_busy_run_requests": len(requests),
        "changes_busy_requests_match": sorted(r.partition_key for r in requests) == sorted(picked),
    }


def measure_database(
    sandbox: ScaleSandbox, database_url: str | None, workdir: Path, changed: int = CHANGED_ACCOUNTS
) -> dict[str, object]:
    """Connect every sandbox person, then the accounts sensor, the backfill and the change sensor."""
    from connectors_pipeline.sandbox import sandbox_client_config

    (workdir / "dagster").mkdir(parents=True, exist_ok=True)
    with bench_environment(workdir, database_url) as settings, peak_rss() as peak:
        store = open_store(settings)
        try:
            with dg.DagsterInstance.local_temp(str(workdir / "dagster")) as instance:
                started = time.monotonic()
                keys = connect_sandbox_drives(store, sandbox.state, sandbox_client_config(sandbox.url), sandbox.emails)
                figures: dict[str, object] = {"connect_seconds": round(time.monotonic() - started, 2)}
                sensor_figures, requests = accounts_sensor_ticks(instance)
                figures.update(sensor_figures)
                figures.update(backfill(instance, requests, store))
                figures.update(change_rounds(instance, sandbox, keys, changed))
        finally:
            store.dispose()
        figures["peak_rss_mib"] = round(peak(), 1)
    return figures


@click.command("scale")
@click.option("--accounts", default=1000, show_default=True, help="Sandbox people, one Drive account each.")
@click.option("--files", default=50, show_default=True, help="Corpus entries per account (20 at least).")
@click.option("--database", type=click.Choice(["sqlite", "postgresql", "both"]), default="both", show_default=True)
@click.option(
    "--postgres-url",
    default=DEFAULT_POSTGRES_URL,
    show_default=True,
    help="A PostgreSQL server (any database on it) where a throwaway database is created and dropped.",
)
@click.option("--json", "as_json", is_flag=True)
def scale(accounts: int, files: int, database: str, postgres_url: str, as_json: bool) -> None:
    """Many accounts: the accounts sensor, the initial-sync backfill ten accounts to a run, the change sensor."""
    import tempfile

    from connectors_pipeline.sandbox import SandboxServer, SandboxState

    state = SandboxState()
    started = time.monotonic()
    emails = seed_people(state, accounts, files)
    summary: dict[str, object] = {
        "accounts": accounts,
        "files_per_account": files,
        "cpu_cores": os.cpu_count(),
        "seed_seconds": round(time.monotonic() - started, 1),
    }
    databases = ["sqlite", "postgresql"] if database == "both" else [database]
    if not as_json:
        print_figures(summary, False)
    with SandboxServer(state, port=0) as server, tempfile.TemporaryDirectory(prefix="connectors-scale-") as tmp:
        sandbox = ScaleSandbox(state, server.url, emails)
        for name in databases:
            click.echo(f"{name}: connecting {accounts} accounts, then sensors and backfill ...", err=True)
            if name == "sqlite":
                summary[name] = measure_database(sandbox, None, Path(tmp) / name)
            else:
                with fresh_postgres_database(postgres_url) as url:
                    summary[name] = measure_database(sandbox, url, Path(tmp) / name)
            if not as_json:  # each database's figures as soon as they are in: a run takes minutes
                click.echo(f"\n[{name}]")
                print_figures(summary[name], False)
    if as_json:
        print_figures(summary, True)
