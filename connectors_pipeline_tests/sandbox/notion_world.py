"""A seeded Notion sandbox served over HTTP, and the real notion-client pointed at it (for test_notion_*)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from notion_client import Client

from connectors_pipeline.sandbox import SandboxServer, SandboxState, issue_notion_tokens, seed_notion

ADA = "ada@example.com"


@dataclass
class NotionWorld:
    state: SandboxState
    server: SandboxServer
    ids: dict[str, str]
    access_token: str
    refresh_token: str

    def client(self, token: str | None = None, **options: Any) -> Client:
        """notion-client as the pipeline builds it; its own retries off unless `retry=` is given."""
        options.setdefault("retry", False)
        return Client(auth=token or self.access_token, base_url=self.server.url, **options)

    @property
    def workspace(self):  # noqa: ANN201 - NotionWorkspace
        return self.state.notion(ADA)


@contextmanager
def notion_world(seed: int = 3) -> Iterator[NotionWorld]:
    state = SandboxState(seed=seed)
    state.add_user(ADA, "Ada Lovelace")
    ids = seed_notion(state, ADA)
    access, refresh = issue_notion_tokens(state, ADA)
    with SandboxServer(state) as server:
        yield NotionWorld(state, server, ids, access, refresh)
