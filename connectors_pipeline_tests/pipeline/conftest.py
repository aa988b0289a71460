"""A sandbox Drive account connected through the real OAuth flow, a fresh CONNECTORS_HOME and Dagster instance."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg
import pytest

from connectors_pipeline.connect import connect_account
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.sandbox import SandboxServer, SandboxState, sandbox_client_config, seed_drive
from connectors_pipeline.sandbox.corpus import CorpusFile, generate_corpus
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import AccountRecord, Store
from connectors_pipeline.store.cipher import KeyRing, resolve_keyring
from connectors_pipeline_tests.postgres import temporary_postgres_database

USER = "ada@example.com"
CORPUS_FILES = 30


@dataclass
class DriveWorld:
    state: SandboxState
    server: SandboxServer
    corpus: list[CorpusFile]
    ids: dict[int, str]  # corpus index -> Drive file id
    store: Store
    account: AccountRecord
    instance: dg.DagsterInstance

    @property
    def key(self) -> str:
        return self.account.partition_key


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request) -> Iterator[str | None]:
    """None: the embedded default (SQLite under CONNECTORS_HOME); otherwise a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
    else:
        with temporary_postgres_database("connectors_pipeline") as url:
            yield url


@pytest.fixture
def connectors_env(tmp_path, monkeypatch, database_url: str | None) -> Settings:
    monkeypatch.setenv("CONNECTORS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CONNECTORS_ENCRYPTION_KEYS", KeyRing.generate_key())
    if database_url is None:
        monkeypatch.delenv("CONNECTORS_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("CONNECTORS_DATABASE_URL", database_url)
    for name in list(os.environ):
        if name.startswith("ORG_CONNECTORS_"):
            monkeypatch.delenv(name)
    settings = Settings.from_env()
    settings.home.mkdir(parents=True)
    return settings


@pytest.fixture
def drive_world(connectors_env: Settings) -> Iterator[DriveWorld]:
    state = SandboxState()
    state.add_user(USER)
    corpus = generate_corpus(seed=7, files=CORPUS_FILES)
    ids = seed_drive(state, USER, corpus)
    with provider_world(connectors_env, "google_drive", state) as world:
        yield DriveWorld(state, world.server, corpus, ids, world.store, world.account, world.instance)


@dataclass
class ProviderWorld:
    """One sandbox account of `provider`, connected through the real flow, with its Dagster job."""

    provider: str
    state: SandboxState
    server: SandboxServer
    store: Store
    account: AccountRecord
    instance: dg.DagsterInstance

    @property
    def key(self) -> str:
        return self.account.partition_key

    def sync(self, mode: str | None = None):
        from connectors_pipeline.definitions import defs

        job = defs.resolve_job_def(f"{self.provider}_sync")
        tags = {"connectors/mode": mode} if mode else None
        result = job.execute_in_process(partition_key=self.key, instance=self.instance, tags=tags)
        assert result.success
        return result

    def changes_sensor(self, cursor: str | None = None) -> dg.SensorResult:
        """One tick of the provider's change sensor, as the daemon would evaluate it."""
        from connectors_pipeline.definitions import defs

        sensor = defs.resolve_sensor_def(f"{self.provider}_changes_sensor")
        with dg.build_sensor_context(
            instance=self.instance, definitions=defs, resources=defs.resources, cursor=cursor
        ) as context:
            return sensor(context)


@contextmanager
def provider_world(settings: Settings, provider: str, state: SandboxState) -> Iterator[ProviderWorld]:
    """`state` holds USER's seeded drive, workspace or mailbox."""
    store = Store.open(settings.database_url, resolve_keyring(settings, allow_demo_key=False))
    with SandboxServer(state, port=0) as server, dg.instance_for_test() as instance:
        account = connect_account(
            store, OrgPolicy(), provider, sandbox_client_config(server.url), mode="sandbox", login_hint=USER
        )
        instance.add_dynamic_partitions(f"{provider}_accounts", [account.partition_key])
        yield ProviderWorld(provider, state, server, store, account, instance)
    store.dispose()
