"""Provider name -> how to build it and what it needs; the Dagster layer and the CLI read this."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.providers import google_oauth
from connectors_pipeline.providers.base import ExportPlan, Provider, ProviderFactory, TokenSaver
from connectors_pipeline.providers.google_drive import DEFAULT_EXPORT_PLAN, DRIVE_SCOPES, GoogleDriveProvider
from connectors_pipeline.resilience import CallGuard


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    display_name: str
    factory: ProviderFactory
    oauth_scopes: tuple[str, ...]
    default_export_plan: ExportPlan
    client_env_prefix: str  # <PREFIX>_CLIENT_ID / <PREFIX>_CLIENT_SECRET hold the OAuth client
    client_config: Callable[[str, str], OAuthClientConfig]  # (client id, secret) -> production endpoints
    authorize: Callable[..., OAuthTokens]  # the interactive OAuth flow (see google_oauth.authorize)
    revoke: Callable[[OAuthClientConfig, OAuthTokens], bool]
    # The request rate the provider grants one account; the limiter keeps every run's threads under it.
    requests_per_second: float

    def client_from_env(self, env: Mapping[str, str]) -> OAuthClientConfig:
        client_id, secret = (
            env.get(f"{self.client_env_prefix}_CLIENT_ID"),
            env.get(f"{self.client_env_prefix}_CLIENT_SECRET"),
        )
        if not client_id or not secret:
            raise ConfigurationError(
                f"set {self.client_env_prefix}_CLIENT_ID and {self.client_env_prefix}_CLIENT_SECRET "
                f"to your {self.display_name} OAuth client (see README, real-provider setup)"
            )
        return self.client_config(client_id, secret)


def _google_drive(
    client: OAuthClientConfig, tokens: OAuthTokens, save_tokens: TokenSaver, guard: CallGuard
) -> Provider:
    return GoogleDriveProvider(client, tokens, save_tokens, guard=guard)


PROVIDERS: dict[str, ProviderInfo] = {
    "google_drive": ProviderInfo(
        name="google_drive",
        display_name="Google Drive",
        factory=_google_drive,
        oauth_scopes=DRIVE_SCOPES,
        default_export_plan=DEFAULT_EXPORT_PLAN,
        client_env_prefix="CONNECTORS_GOOGLE",
        client_config=google_oauth.google_client_config,
        authorize=google_oauth.authorize,
        revoke=google_oauth.revoke,
        requests_per_second=200.0,  # Drive's default quota: 12,000 queries per minute per user
    ),
}


def provider_info(name: str) -> ProviderInfo:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ConfigurationError(f"unknown provider {name!r}; known: {sorted(PROVIDERS)}") from None
