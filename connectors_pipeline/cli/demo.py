"""`connectors demo`: sandbox → connect → initial sync through Dagster → what happened, in one command."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from contextlib import contextmanager

import click
import dagster as dg

from connectors_pipeline.cli.dagster_runs import apply_accounts_sensor, run_sync
from connectors_pipeline.cli.runtime import current_principal, fail, open_store, prepare_dagster_home
from connectors_pipeline.connect import connect_account
from connectors_pipeline.domain.errors import ConnectorError
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.settings import Settings

PROVIDER = "google_drive"
DEMO_USER = "ada@example.com"


@contextmanager
def closing_server(server):
    try:
        yield server
    finally:
        server.stop()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--files", default=40, show_default=True, help="Size of the seeded sandbox corpus.")
@click.option("--seed", default=0, show_default=True)
@click.option("--sandbox-port", default=8765, show_default=True, help="0 picks a free port.")
def demo(as_json: bool, files: int, seed: int, sandbox_port: int) -> None:
    """Start the sandbox, connect a sandbox Drive account and materialize its initial sync."""
    from connectors_pipeline.definitions import defs
    from connectors_pipeline.sandbox import SandboxServer, SandboxState, sandbox_client_config, seed_drive
    from connectors_pipeline.sandbox.corpus import generate_corpus

    started = time.monotonic()
    settings = Settings.from_env()
    os.environ.setdefault("CONNECTORS_HOME", str(settings.home))  # so in-process runs see the same home
    state = SandboxState()
    state.add_user(DEMO_USER)
    seed_drive(state, DEMO_USER, generate_corpus(seed=seed, files=files))
    server = SandboxServer(state, port=sandbox_port)
    try:
        server.start()
    except OSError as exc:
        raise click.ClickException(
            f"cannot serve the sandbox on port {sandbox_port} ({exc.strerror}); "
            "stop what uses it, or pass --sandbox-port 0 for a free port"
        ) from exc
    with open_store(settings, allow_demo_key=True) as store, closing_server(server):
        try:
            account = connect_account(
                store,
                OrgPolicy.from_env(os.environ),
                PROVIDER,
                sandbox_client_config(server.url),
                mode="sandbox",
                login_hint=DEMO_USER,
                demo=True,
                principal=current_principal(),  # so `vault search` after the demo finds its documents
            )
        except ConnectorError as exc:
            raise fail(exc) from exc
        key = account.partition_key
        documents_before, versions_before = store.count_documents(key), store.count_versions(key)
        prepare_dagster_home(settings)
        with dg.DagsterInstance.get() as instance:
            apply_accounts_sensor(instance, defs, PROVIDER)
            run = run_sync(instance, defs, PROVIDER, key)
        items = store.load_items(key).values()
        summary = {
            "account": key,
            "run_id": run.run_id,
            "run_succeeded": run.success,
            "sync_mode": ", ".join(run.metadata.get(f"{PROVIDER}/file_listing", {}).get("sync_modes", {})),
            "failed_checks": run.failed_checks,
            "documents_ingested": store.count_versions(key) - versions_before,
            "documents_new": store.count_documents(key) - documents_before,
            "documents_in_vault": store.count_documents(key),
            "skipped": dict(sorted(Counter(i.skip_reason for i in items if i.status == "skipped").items())),
            "errors": sum(1 for i in items if i.status == "error"),
            "seconds": round(time.monotonic() - started, 2),
        }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        _print_summary(summary, settings)
    if not run.success:
        raise SystemExit(1)


def _print_summary(summary: dict, settings: Settings) -> None:
    click.echo(
        f"Sandbox Google Drive account {summary['account']} synced through Dagster "
        f"(run {summary['run_id']}, {'succeeded' if summary['run_succeeded'] else 'FAILED'})."
    )
    modes = {"initial": "initial sync (full listing)", "incremental": "incremental sync (change feed)"}
    click.echo(f"  {modes.get(summary['sync_mode'], summary['sync_mode'] or 'no listing')}")
    click.echo(
        f"  documents ingested this run: {summary['documents_ingested']} "
        f"(vault now holds {summary['documents_in_vault']})"
    )
    for reason, count in summary["skipped"].items():
        click.echo(f"  skipped, {reason}: {count}")
    if summary["failed_checks"]:
        click.echo(f"  FAILED checks: {', '.join(summary['failed_checks'])}")
    click.echo(f"  took {summary['seconds']} s; state is under {settings.home}")
    click.echo('Search it:      connectors vault search "quarterly"')
    click.echo(
        "Open the UI:    connectors ui   (then http://127.0.0.1:3000; "
        "runs launched there need `connectors sandbox serve` running)"
    )
