"""Fixtures: a seeded sandbox served over real HTTP, and real Google clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import Resource, build

from connectors_pipeline.sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SandboxServer,
    SandboxState,
    seed_drive,
)
from connectors_pipeline.sandbox.corpus import CorpusFile, generate_corpus

ALICE = "alice@example.com"
BOB = "bob@example.com"
DRIVE_READONLY = "https://www.googleapis.com/auth/drive.readonly"


@pytest.fixture(scope="session")
def corpus() -> list[CorpusFile]:
    # A small oversize file keeps tests fast; it is still many download chunks at a small chunksize.
    return generate_corpus(seed=7, files=40, oversize_bytes=300_000)


@pytest.fixture
def state(corpus: list[CorpusFile]) -> SandboxState:
    st = SandboxState(seed=7)
    st.add_user(ALICE, "Alice Example")
    st.add_user(BOB)
    st.seeded_ids = seed_drive(st, ALICE, corpus)  # type: ignore[attr-defined]
    return st


@pytest.fixture
def server(state: SandboxState) -> Iterator[SandboxServer]:
    with SandboxServer(state) as srv:
        yield srv


def make_credentials(state: SandboxState, server: SandboxServer, email: str = ALICE) -> Credentials:
    """Credentials as the pipeline would hold them: a refresh token plus the sandbox token URI."""
    access, refresh = state.issue_tokens(email, (DRIVE_READONLY,))
    return Credentials(
        token=access,
        refresh_token=refresh,
        token_uri=f"{server.url}/token",
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
    )


def discovery_url(server: SandboxServer) -> str:
    return f"{server.url}/discovery/v1/apis/{{api}}/{{apiVersion}}/rest"


@pytest.fixture
def creds(state: SandboxState, server: SandboxServer) -> Credentials:
    return make_credentials(state, server)


@pytest.fixture
def service(server: SandboxServer, creds: Credentials) -> Resource:
    return build("drive", "v3", credentials=creds, discoveryServiceUrl=discovery_url(server), cache_discovery=False)


def index_of(corpus: list[CorpusFile], label: str) -> int:
    return next(i for i, entry in enumerate(corpus) if entry.label == label)


def list_pages(service: Resource, **kwargs: object) -> tuple[list[dict], int]:
    """files.list followed to the end through the client's own paging: (every file, pages read)."""
    files: list[dict] = []
    pages = 0
    request = service.files().list(**kwargs)
    while request is not None:
        page = request.execute()
        pages += 1
        files.extend(page["files"])
        request = service.files().list_next(request, page)
    return files, pages


def list_all(service: Resource, **kwargs: object) -> list[dict]:
    return list_pages(service, **kwargs)[0]
