"""Loopback emulator of the provider APIs (Google OAuth2 + Drive v3 so far) for demo, tests, benchmarks."""

from connectors_pipeline.sandbox.app import create_app
from connectors_pipeline.sandbox.faults import FaultKind, FaultRule
from connectors_pipeline.sandbox.gmail_seeding import seed_gmail
from connectors_pipeline.sandbox.gmail_state import Mailbox
from connectors_pipeline.sandbox.notion_corpus import generate_notion_pages, seed_notion
from connectors_pipeline.sandbox.notion_oauth import issue_notion_tokens
from connectors_pipeline.sandbox.notion_state import NotionWorkspace
from connectors_pipeline.sandbox.oauth_grants import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from connectors_pipeline.sandbox.seeding import sandbox_client_config, seed_drive
from connectors_pipeline.sandbox.server import SandboxServer, serve_forever
from connectors_pipeline.sandbox.state import SandboxState

__all__ = [
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "FaultKind",
    "FaultRule",
    "Mailbox",
    "NotionWorkspace",
    "SandboxServer",
    "SandboxState",
    "create_app",
    "generate_notion_pages",
    "issue_notion_tokens",
    "sandbox_client_config",
    "seed_drive",
    "seed_gmail",
    "seed_notion",
    "serve_forever",
]
