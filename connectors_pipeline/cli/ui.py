"""`connectors ui`: the Dagster UI on the same instance the demo and the CLI use."""

from __future__ import annotations

import os
import sys

import click

from connectors_pipeline.cli.runtime import prepare_dagster_home, project_file
from connectors_pipeline.settings import Settings


@click.command()
@click.option("--port", default=3000, show_default=True)
def ui(port: int) -> None:
    """Run `dagster dev` with DAGSTER_HOME under CONNECTORS_HOME (webserver + daemon)."""
    settings = Settings.from_env()
    prepare_dagster_home(settings)
    os.environ.setdefault("CONNECTORS_HOME", str(settings.home))
    click.echo(f"Dagster UI on http://127.0.0.1:{port} (DAGSTER_HOME={settings.dagster_home})")
    os.execv(
        sys.executable,
        [sys.executable, "-m", "dagster", "dev", "-w", str(project_file("workspace.yaml")), "-p", str(port)],
    )
