"""Loopback emulator of the provider APIs (Google OAuth2 + Drive v3 so far) for demo, tests, benchmarks."""

from connectors_pipeline.sandbox.app import create_app
from connectors_pipeline.sandbox.faults import FaultKind, FaultRule
from connectors_pipeline.sandbox.oauth_grants import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from connectors_pipeline.sandbox.seeding import sandbox_client_config, seed_drive
from connectors_pipeline.sandbox.server import SandboxServer, serve_forever
from connectors_pipeline.sandbox.state import SandboxState

__all__ = [
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "FaultKind",
    "FaultRule",
    "SandboxServer",
    "SandboxState",
    "create_app",
    "sandbox_client_config",
    "seed_drive",
    "serve_forever",
]
