"""`connectors demo`: sandbox → connect Drive, Notion, Gmail → sync each through Dagster → what happened."""

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
from connectors_pipeline.cli.sandbox import seed_user
from connectors_pipeline.connect import connect_account
from connectors_pipeline.domain.errors import ConnectorError
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.providers.registry import provider_info
from connectors_pipeline.settings import Settings

DEMO_USER = "ada@example.com"
# Gmail is behind a feature flag everywhere but here; the demo shows bodies, not only headers.
DEMO_ENV = {"CONNECTORS_GMAIL_ENABLED": "1", "ORG_CONNECTORS_GMAIL_CONTENT": "full"}
PROVIDERS = ("google_drive", "notion", "gmail")


@contextmanager
def closing_server(server):
    try:
        yield server
    finally:
        server.stop()


def seeded_sandbox(files: int, seed: int):
    """One sandbox user with a Drive corpus, a Notion workspace and a mailbox, Notion rate limit on."""
    from connectors_pipeline.sandbox import SandboxState

    state = SandboxState()
    state.notion_rate_limit = (3.0, 9.0)  # as real Notion: three requests a second, short bursts
    seed_user(state, DEMO_USER, files, seed)
    return state


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--files", default=40, show_default=True, help="Size of the seeded Drive corpus.")
@click.option("--seed", default=0, show_default=True)
@click.option("--sandbox-port", default=8765, show_default=True, help="0 picks a free port.")
def demo(as_json: bool, files: int, seed: int, sandbox_port: int) -> None:
    """Start the sandbox, connect sandbox Drive, Notion and Gmail accounts and sync each through Dagster."""
    for key, value in DEMO_ENV.items():
        os.environ.setdefault(key, value)
    from connectors_pipeline.definitions import defs
    from connectors_pipeline.sandbox import SandboxServer, sandbox_client_config

    started = time.monotonic()
    settings = Settings.from_env()
    os.environ.setdefault("CONNECTORS_HOME", str(settings.home))  # so in-process runs see the same home
    server = SandboxServer(seeded_sandbox(files, seed), port=sandbox_port)
    try:
        server.start()
    except OSError as exc:
        raise click.ClickException(
            f"cannot serve the sandbox on port {sandbox_port} ({exc.strerror}); "
            "stop what uses it, or pass --sandbox-port 0 for a free port"
        ) from exc
    policy = OrgPolicy.from_env(os.environ)
    summaries = {}
    with open_store(settings, allow_demo_key=True) as store, closing_server(server):
        prepare_dagster_home(settings)
        with dg.DagsterInstance.get() as instance:
            for provider in PROVIDERS:
                try:
                    account = connect_account(
                        store,
                        policy,
                        provider,
                        sandbox_client_config(server.url),
                        mode="sandbox",
                        login_hint=DEMO_USER,
                        demo=True,
                        principal=current_principal(),  # so `vault search` after the demo finds its documents
                    )
                except ConnectorError as exc:
                    raise fail(exc) from exc
                summaries[provider] = _sync(store, instance, defs, provider, account.partition_key)
    summary = {"providers": summaries, "seconds": round(time.monotonic() - started, 2)}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        _print_summary(summary, settings)
    if not all(s["run_succeeded"] for s in summaries.values()):
        raise SystemExit(1)


def _sync(store, instance: dg.DagsterInstance, defs: dg.Definitions, provider: str, key: str) -> dict:
    documents_before, versions_before = store.count_documents(key), store.count_versions(key)
    apply_accounts_sensor(instance, defs, provider)
    run = run_sync(instance, defs, provider, key)
    items = store.load_items(key).values()
    return {
        "account": key,
        "run_id": run.run_id,
        "run_succeeded": run.success,
        "sync_mode": ", ".join(run.metadata.get(f"{provider}/file_listing", {}).get("sync_modes", {})),
        "failed_checks": run.failed_checks,
        "documents_ingested": store.count_versions(key) - versions_before,
        "documents_new": store.count_documents(key) - documents_before,
        "documents_in_vault": store.count_documents(key),
        "skipped": dict(sorted(Counter(i.skip_reason for i in items if i.status == "skipped").items())),
        "errors": sum(1 for i in items if i.status == "error"),
    }


def _print_summary(summary: dict, settings: Settings) -> None:
    modes = {"initial": "initial sync (full listing)", "incremental": "incremental sync (change feed)"}
    for provider, result in summary["providers"].items():
        name = provider_info(provider).display_name
        click.echo(
            f"Sandbox {name} account {result['account']} synced through Dagster "
            f"(run {result['run_id']}, {'succeeded' if result['run_succeeded'] else 'FAILED'})."
        )
        click.echo(f"  {modes.get(result['sync_mode'], result['sync_mode'] or 'no listing')}")
        click.echo(
            f"  documents ingested this run: {result['documents_ingested']} "
            f"(vault now holds {result['documents_in_vault']})"
        )
        for reason, count in result["skipped"].items():
            click.echo(f"  skipped, {reason}: {count}")
        if result["failed_checks"]:
            click.echo(f"  FAILED checks: {', '.join(result['failed_checks'])}")
    click.echo(f"Took {summary['seconds']} s; state is under {settings.home}")
    click.echo('Search it:      connectors vault search "quarterly"')
    click.echo(
        "Open the UI:    CONNECTORS_GMAIL_ENABLED=1 connectors ui   (then http://127.0.0.1:3000; "
        "runs launched there need `connectors sandbox serve` running)"
    )
