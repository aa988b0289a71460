"""Provider name -> how to build it and what it needs; the Dagster layer and the CLI read this.

Adding a provider is a module under providers/, its sandbox, and one entry here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.domain.file_types import NOTION_DATABASE, NOTION_PAGE
from connectors_pipeline.providers import google_oauth
from connectors_pipeline.providers.base import ExportPlan, Provider, ProviderFactory, TokenSaver
from connectors_pipeline.providers.gmail import GMAIL_SCOPES, GmailProvider
from connectors_pipeline.providers.google_drive import DEFAULT_EXPORT_PLAN, DRIVE_SCOPES, GoogleDriveProvider
from connectors_pipeline.providers.notion import oauth as notion_oauth
from connectors_pipeline.providers.notion.provider import NotionProvider
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
    # CONNECTORS_<NAME>_REQUESTS_PER_SECOND overrides it (a raised sandbox limit, a negotiated quota).
    requests_per_second: float
    source_kinds: tuple[str, ...]  # what `connectors sources add` registers; the first is the default
    # Off unless this variable is set to 1/true: a provider still being proven stays out of the code location.
    feature_flag: str | None = None

    def request_rate(self, env: Mapping[str, str] = os.environ) -> float:
        raw = env.get(f"CONNECTORS_{self.name.upper()}_REQUESTS_PER_SECOND")
        if not raw:
            return self.requests_per_second
        try:
            rate = float(raw)
        except ValueError:
            rate = 0.0
        if rate <= 0:
            raise ConfigurationError(f"CONNECTORS_{self.name.upper()}_REQUESTS_PER_SECOND must be a positive number")
        return rate

    def enabled(self, env: Mapping[str, str] = os.environ) -> bool:
        if self.feature_flag is None:
            return True
        return env.get(self.feature_flag, "").strip().lower() in ("1", "true", "yes", "on")

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
    client: OAuthClientConfig,
    tokens: OAuthTokens,
    save_tokens: TokenSaver,
    guard: CallGuard,
    plan: ExportPlan | None = None,  # Drive lists the same whatever it will fetch
) -> Provider:
    return GoogleDriveProvider(client, tokens, save_tokens, guard=guard)


def _notion(
    client: OAuthClientConfig,
    tokens: OAuthTokens,
    save_tokens: TokenSaver,
    guard: CallGuard,
    plan: ExportPlan | None = None,
) -> Provider:
    return NotionProvider(client, tokens, save_tokens, guard=guard)


def _gmail(
    client: OAuthClientConfig,
    tokens: OAuthTokens,
    save_tokens: TokenSaver,
    guard: CallGuard,
    plan: ExportPlan | None = None,
) -> Provider:
    return GmailProvider(client, tokens, save_tokens, guard=guard, plan=plan)


# Notion pages and databases are exported as Markdown (rendered from their blocks).
NOTION_EXPORT_PLAN = ExportPlan({NOTION_PAGE: ("text/markdown",), NOTION_DATABASE: ("text/markdown",)})

KNOWN_PROVIDERS: dict[str, ProviderInfo] = {
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
        source_kinds=("folder",),
    ),
    "notion": ProviderInfo(
        name="notion",
        display_name="Notion",
        factory=_notion,
        oauth_scopes=notion_oauth.NOTION_SCOPES,
        default_export_plan=NOTION_EXPORT_PLAN,
        client_env_prefix="CONNECTORS_NOTION",
        client_config=notion_oauth.notion_client_config,
        authorize=notion_oauth.authorize,
        revoke=notion_oauth.revoke,
        requests_per_second=3.0,  # Notion: an average of three requests a second per connection
        source_kinds=("page", "database"),
    ),
    "gmail": ProviderInfo(
        name="gmail",
        display_name="Gmail",
        factory=_gmail,
        oauth_scopes=GMAIL_SCOPES,
        default_export_plan=ExportPlan(),
        client_env_prefix="CONNECTORS_GOOGLE",  # the same Google OAuth client as Drive
        client_config=google_oauth.google_client_config,
        authorize=google_oauth.authorize,
        revoke=google_oauth.revoke,
        # 250 quota units a second per user; messages.get, most of a sync, costs 5.
        requests_per_second=50.0,
        source_kinds=("label", "query"),
        feature_flag="CONNECTORS_GMAIL_ENABLED",
    ),
}


def enabled_providers(env: Mapping[str, str] = os.environ) -> dict[str, ProviderInfo]:
    """The providers this deployment runs: every known one whose feature flag (if any) is on."""
    return {name: spec for name, spec in KNOWN_PROVIDERS.items() if spec.enabled(env)}


def provider_info(name: str) -> ProviderInfo:
    """The provider's entry; a known provider whose feature flag is off is refused with how to turn it on."""
    spec = KNOWN_PROVIDERS.get(name)
    if spec is None:
        raise ConfigurationError(f"unknown provider {name!r}; known: {sorted(KNOWN_PROVIDERS)}")
    if not spec.enabled():
        raise ConfigurationError(f"{spec.display_name} is turned off: set {spec.feature_flag}=1 to enable it")
    return spec
