"""`connectors keys`: make a new token key, and move every stored token onto the newest key."""

from __future__ import annotations

import click

from connectors_pipeline.cli.runtime import fail, open_store
from connectors_pipeline.domain.errors import ConnectorError
from connectors_pipeline.settings import Settings
from connectors_pipeline.store.cipher import KeyRing


@click.group()
def keys() -> None:
    """Token encryption keys (CONNECTORS_ENCRYPTION_KEYS, newest first)."""


@keys.command("generate")
def generate() -> None:
    """Print a new key; put it first in CONNECTORS_ENCRYPTION_KEYS, then run `connectors keys rotate`."""
    click.echo(KeyRing.generate_key())


@keys.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored token under the newest key; afterwards the older keys can be removed."""
    settings = Settings.from_env()
    if KeyRing.from_env(settings.encryption_keys) is None:
        raise click.ClickException("CONNECTORS_ENCRYPTION_KEYS is not set: nothing to rotate to")
    with open_store(settings) as store:
        try:
            moved = store.reencrypt_all()
        except ConnectorError as exc:
            raise fail(exc) from exc
        newest = store.keyring.newest_key_id if store.keyring else "?"
    click.echo(f"{moved} account(s) re-encrypted under key {newest}; every stored token now uses it.")
    click.echo("Older keys can be removed from CONNECTORS_ENCRYPTION_KEYS.")
