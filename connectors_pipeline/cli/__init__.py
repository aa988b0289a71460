"""The `connectors` command: connect accounts, run the demo, search the vault, show activity and jobs,
rotate token keys, serve the sandbox, benchmark."""

from __future__ import annotations

import click

from connectors_pipeline.cli.accounts import accounts, sources
from connectors_pipeline.cli.activity import activity, jobs
from connectors_pipeline.cli.bench import bench
from connectors_pipeline.cli.demo import demo
from connectors_pipeline.cli.keys import keys
from connectors_pipeline.cli.sandbox import sandbox
from connectors_pipeline.cli.ui import ui
from connectors_pipeline.cli.vault import vault


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Keep connected accounts' documents in step with a local, searchable vault."""


for command in (accounts, sources, vault, activity, jobs, keys, sandbox, demo, bench, ui):
    main.add_command(command)
