"""`connectors accounts ...` and `connectors sources ...`: connect, list and remove accounts and their scopes."""

from __future__ import annotations

import json
import os

import click

from connectors_pipeline.cli.display import shown
from connectors_pipeline.cli.runtime import current_principal, fail, open_store
from connectors_pipeline.connect import connect_account, remove_account
from connectors_pipeline.domain.errors import ConnectorError
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.providers.registry import KNOWN_PROVIDERS, provider_info
from connectors_pipeline.settings import Settings

DEFAULT_SANDBOX_URL = "http://127.0.0.1:8765"


@click.group()
def accounts() -> None:
    """Connect, list and remove provider accounts."""


@accounts.command("connect")
@click.argument("provider", type=click.Choice(sorted(KNOWN_PROVIDERS)))
@click.option("--sandbox", "use_sandbox", is_flag=True, help="Connect a sandbox account; no browser needed.")
@click.option(
    "--sandbox-url",
    default=lambda: os.environ.get("CONNECTORS_SANDBOX_URL", DEFAULT_SANDBOX_URL),
    show_default="$CONNECTORS_SANDBOX_URL or " + DEFAULT_SANDBOX_URL,
)
@click.option("--headless", is_flag=True, help="Print the authorization URL and paste the redirect back.")
@click.option("--login-hint", help="Which account to pick on the consent screen (sandbox: which user).")
def connect(provider: str, use_sandbox: bool, sandbox_url: str, headless: bool, login_hint: str | None) -> None:
    """Run the provider's OAuth flow (loopback redirect) and store the tokens encrypted."""
    settings = Settings.from_env()
    principal = current_principal()
    try:
        spec = provider_info(provider)  # refuses a provider whose feature flag is off, saying how to turn it on
        if use_sandbox:
            from connectors_pipeline.sandbox import sandbox_client_config

            client, mode = sandbox_client_config(sandbox_url.rstrip("/")), "sandbox"
        else:
            client, mode = spec.client_from_env(os.environ), ("headless" if headless else "browser")
        with open_store(settings) as store:
            account = connect_account(
                store,
                OrgPolicy.from_env(os.environ),
                provider,
                client,
                mode=mode,
                login_hint=login_hint,
                principal=principal,
            )
    except ConnectorError as exc:
        raise fail(exc) from exc
    click.echo(f"Connected {spec.display_name} account {shown(account.display_name)} as {account.partition_key}.")
    click.echo("The accounts sensor adds its partition and requests the initial sync on its next tick.")


@accounts.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_accounts(as_json: bool) -> None:
    """Your accounts (an admin: every account of the tenant), with status and last sync."""
    scope = current_principal().scope
    with open_store(Settings.from_env()) as store:
        rows = store.list_accounts(statuses=None, scope=scope)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "partition_key": a.partition_key,
                        "provider": a.provider,
                        "display_name": a.display_name,
                        "email": a.email,
                        "status": a.status,
                        "last_sync_at": a.last_sync_at.isoformat() if a.last_sync_at else None,
                    }
                    for a in rows
                ],
                indent=2,
            )
        )
        return
    if not rows:
        click.echo("No accounts. Connect one with: connectors accounts connect google_drive")
    for a in rows:
        last = a.last_sync_at.strftime("%Y-%m-%d %H:%M UTC") if a.last_sync_at else "never"
        click.echo(f"{a.partition_key}  {a.provider:<13} {a.status:<12} last sync {last}  {shown(a.display_name)}")


@accounts.command("remove")
@click.argument("partition_key")
def remove(partition_key: str) -> None:
    """Revoke the grant upstream, delete the stored tokens and disable the account's sources."""
    scope = current_principal().scope
    with open_store(Settings.from_env()) as store:
        try:
            revoked = remove_account(store, partition_key, scope=scope)
        except ConnectorError as exc:
            raise fail(exc) from exc
    click.echo(f"Removed {partition_key}" + ("" if revoked else " (the provider could not be reached to revoke)."))


@click.group()
def sources() -> None:
    """What of an account is synced: all of it (default) or registered folders, pages, labels, queries."""


SOURCE_KINDS = ("database", "folder", "label", "page", "query")


@sources.command("add")
@click.argument("partition_key")
@click.argument("root", required=False)
@click.option("--kind", type=click.Choice(SOURCE_KINDS), help="Default: the provider's first kind.")
@click.option("--folder", "folder_id", default=None, help="Shorthand for ROOT with --kind folder.")
@click.option("--name", default=None, help="A label for the source.")
@click.option("--recursive/--no-recursive", default=True, show_default=True)
def add_source(
    partition_key: str, root: str | None, kind: str | None, folder_id: str | None, name: str | None, recursive: bool
) -> None:
    """Sync only registered roots of an account instead of all of it.

    ROOT is a Drive folder id, a Notion page or database id (with or without dashes), a Gmail label
    (id or name) or a Gmail search query such as 'from:billing@example.com'.
    """
    if folder_id is not None:
        root, kind = folder_id, kind or "folder"
    if not root:
        raise click.UsageError("give the source's ROOT (or --folder ID)")
    scope = current_principal().scope
    with open_store(Settings.from_env()) as store:
        try:
            account = store.get_account(partition_key, scope=scope)  # only an account the person may see
            kinds = provider_info(account.provider).source_kinds
            kind = kind or kinds[0]
            if kind not in kinds:
                raise click.UsageError(f"{account.provider} sources are {', '.join(kinds)}, not {kind}")
            source = store.add_source(
                partition_key, kind=kind, external_id=root, name=name or root, recursive=recursive
            )
        except ConnectorError as exc:
            raise fail(exc) from exc
    click.echo(f"Added {kind} {shown(source.name)} to {partition_key}; the next sync covers only registered sources.")


@sources.command("list")
@click.argument("partition_key", required=False)
def list_sources(partition_key: str | None) -> None:
    scope = current_principal().scope
    with open_store(Settings.from_env()) as store:
        try:
            rows = store.list_sources(partition_key, enabled_only=False, scope=scope)
        except ConnectorError as exc:
            raise fail(exc) from exc
    if not rows:
        click.echo("No sources registered: accounts sync everything they can see.")
    for s in rows:
        state = "enabled" if s.enabled else "disabled"
        click.echo(
            f"{s.partition_key}  {s.kind} {shown(s.external_id)}  {shown(s.name)}  "
            f"{'recursive' if s.recursive else 'top level only'}  {state}"
        )
