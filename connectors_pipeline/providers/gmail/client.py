"""The Gmail client: the shared Google API client (providers/google_api.py) on Gmail v1."""

from __future__ import annotations

from typing import Any

from connectors_pipeline.providers.google_api import GoogleApiClient


class GmailClient(GoogleApiClient):
    """Gmail v1 for one account; see GoogleApiClient for threads, tokens and the guard."""

    api = "gmail"
    version = "v1"
    display_name = "Gmail"

    def users(self) -> Any:
        return self.service.users()
