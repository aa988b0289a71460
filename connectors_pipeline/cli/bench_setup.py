"""What every benchmark starts from: a throwaway home, store and Dagster instance, a running sandbox,
and its bench user's account (Drive unless told otherwise) connected as an account partition."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from connectors_pipeline.cli.runtime import open_store
from connectors_pipeline.connect import connect_account
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import Store
from connectors_pipeline.store.cipher import KeyRing

BENCH_USER = "bench@example.com"


@dataclass
class BenchAccount:
    settings: Settings
    store: Store
    instance: dg.DagsterInstance
    key: str  # the account's partition key


@contextmanager
def bench_account(state, provider: str = "google_drive") -> Iterator[BenchAccount]:
    """`state` already holds BENCH_USER's seeded drive, workspace or mailbox."""
    from connectors_pipeline.sandbox import SandboxServer, sandbox_client_config

    with tempfile.TemporaryDirectory(prefix="connectors-bench-") as tmp:
        os.environ.update(
            {"CONNECTORS_HOME": str(Path(tmp) / "home"), "CONNECTORS_ENCRYPTION_KEYS": KeyRing.generate_key()}
        )
        os.environ.pop("CONNECTORS_DATABASE_URL", None)
        settings = Settings.from_env()
        with (
            open_store(settings) as store,
            SandboxServer(state, port=0) as server,
            dg.DagsterInstance.local_temp(tmp) as instance,
        ):
            account = connect_account(
                store,
                OrgPolicy(),
                provider,
                sandbox_client_config(server.url),
                mode="sandbox",
                login_hint=BENCH_USER,
            )
            instance.add_dynamic_partitions(f"{provider}_accounts", [account.partition_key])
            yield BenchAccount(settings, store, instance, account.partition_key)
