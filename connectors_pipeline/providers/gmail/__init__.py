"""Gmail provider: one vault item per message, listed by label or search, followed through history.list."""

from connectors_pipeline.providers.gmail.items import PROVIDER_NAME
from connectors_pipeline.providers.gmail.provider import GMAIL_SCOPES, GmailProvider

__all__ = ["GMAIL_SCOPES", "PROVIDER_NAME", "GmailProvider"]
