"""`connectors vault ...`: full-text search and inspection of the vault."""

from __future__ import annotations

import json

import click

from connectors_pipeline.cli.display import shown
from connectors_pipeline.cli.runtime import current_principal, open_store
from connectors_pipeline.settings import Settings


@click.group()
def vault() -> None:
    """Search and inspect the vault."""


@vault.command("search")
@click.argument("text")
@click.option("--limit", default=20, show_default=True)
@click.option("--account", "partition_key", default=None, help="Only this account's documents.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def search(text: str, limit: int, partition_key: str | None, as_json: bool) -> None:
    """Live documents of your accounts matching TEXT (words, all of which must match), best first."""
    scope = current_principal().scope
    with open_store(Settings.from_env()) as store:
        hits = store.search(text, limit=limit, partition_key=partition_key, scope=scope)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "document_id": h.document_id,
                        "title": h.title,
                        "path": h.path,
                        "snippet": h.snippet,
                        "score": h.score,
                        "provider": h.provider,
                        "account": h.partition_key,
                    }
                    for h in hits
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    if not hits:
        click.echo("No matches.")
    for h in hits:
        click.echo(f"[{h.document_id}] {shown(h.title)}  ({h.provider} {shown(h.path)})")
        click.echo("    " + shown(" ".join(h.snippet.split())))


@vault.command("show")
@click.argument("document_id", type=int)
@click.option("--versions", is_flag=True, help="List every ingested version.")
@click.option("--text/--no-text", "show_text", default=False, help="Print the normalized text.")
def show(document_id: int, versions: bool, show_text: bool) -> None:
    """One vault document of your accounts: metadata, provenance and, optionally, versions and text."""
    scope = current_principal().scope
    with open_store(Settings.from_env()) as store:
        try:
            doc = store.get_document(document_id, scope=scope)
        except KeyError as exc:
            raise click.ClickException(f"no vault document {document_id}") from exc
        history = store.list_versions(document_id, scope=scope) if versions else []
    status = f"deleted ({doc.deleted_reason})" if doc.deleted_at else "live"
    click.echo(
        f"[{doc.id}] {shown(doc.title)}\n  path: {shown(doc.path)}\n  status: {status}\n  mime: {shown(doc.mime_type)}"
        f" -> {shown(doc.content_mime)}\n  version: {doc.current_version} (provider {doc.provider_version})"
        f"\n  content hash: {doc.content_hash}\n  provenance: {json.dumps(doc.provenance)}"
    )
    for v in history:
        click.echo(
            f"  v{v.version_no}  {v.created_at:%Y-%m-%d %H:%M:%S}  provider {v.provider_version}  "
            f"hash {v.content_hash[:12]}  {json.dumps(v.provenance)}"
        )
    if show_text:
        click.echo("\n" + "\n".join(shown(line) for line in doc.text.split("\n")))
