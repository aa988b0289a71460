"""OAuth tokens and client endpoints as the pipeline passes them around (never logged, never in metadata)."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict, SecretStr


class OAuthTokens(BaseModel):
    """What the token endpoint gave us for one account. SecretStr keeps them out of reprs and logs."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    expiry: datetime | None = None  # naive UTC, as google-auth uses it
    scopes: tuple[str, ...] = ()

    def to_secret_json(self) -> str:
        """Plain JSON including the secrets; only the token cipher may call this."""
        return json.dumps(
            {
                "access_token": self.access_token.get_secret_value() if self.access_token else None,
                "refresh_token": self.refresh_token.get_secret_value() if self.refresh_token else None,
                "expiry": self.expiry.isoformat() if self.expiry else None,
                "scopes": list(self.scopes),
            }
        )

    @classmethod
    def from_secret_json(cls, raw: str) -> OAuthTokens:
        return cls.model_validate_json(raw)


class OAuthClientConfig(BaseModel):
    """An OAuth client and the endpoints it talks to; production and sandbox differ only here."""

    model_config = ConfigDict(frozen=True)

    client_id: str
    client_secret: SecretStr
    auth_uri: str
    token_uri: str
    revoke_uri: str | None = None
    discovery_url: str | None = None  # None = the discovery document bundled with the client library
    api_base_url: str | None = None  # None = the provider's production API (Notion: https://api.notion.com)
