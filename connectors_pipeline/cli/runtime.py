"""Opening the store and the Dagster instance the way every command needs them, and who runs the command."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import click

from connectors_pipeline.domain.errors import ConnectorError
from connectors_pipeline.domain.principal import Principal
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import Store
from connectors_pipeline.store.cipher import resolve_keyring

# dagster.yaml and workspace.yaml live at the top of the project checkout (the README installs it editable).
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def project_file(name: str) -> Path:
    """A top-level project file: from the working directory if it has one, else from the checkout."""
    for folder in (Path.cwd(), PROJECT_ROOT):
        if (folder / name).is_file():
            return folder / name
    raise click.ClickException(f"{name} not found here or in {PROJECT_ROOT}; run from the project checkout")


def open_store(settings: Settings, *, allow_demo_key: bool = False) -> Store:
    settings.home.mkdir(parents=True, exist_ok=True)
    return Store.open(settings.database_url, resolve_keyring(settings, allow_demo_key=allow_demo_key))


def current_principal() -> Principal:
    """Whom the command acts for (CONNECTORS_TENANT, CONNECTORS_USER, CONNECTORS_ROLE): every read
    of accounts, the vault, jobs and activity is limited to what they may see."""
    try:
        return Principal.from_env(os.environ)
    except ConnectorError as exc:
        raise fail(exc) from exc


def prepare_dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME under CONNECTORS_HOME, configured by the project's dagster.yaml."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    instance_yaml = home / "dagster.yaml"
    source = project_file("dagster.yaml")
    if not instance_yaml.exists() or instance_yaml.read_bytes() != source.read_bytes():
        shutil.copyfile(source, instance_yaml)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def fail(exc: ConnectorError) -> click.ClickException:
    return click.ClickException(f"{type(exc).__name__}: {exc}")
