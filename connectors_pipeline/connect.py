"""Connecting and removing accounts: the OAuth flow, org policy, encrypted storage and activity events."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from connectors_pipeline.domain.credentials import OAuthClientConfig
from connectors_pipeline.domain.errors import ConfigurationError, ConnectorError
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.domain.principal import LOCAL_OPERATOR, AccountScope, Principal
from connectors_pipeline.providers.registry import provider_info
from connectors_pipeline.resilience import CallGuard, RetrySettings
from connectors_pipeline.store import AccountRecord, Store

AuthMode = Literal["browser", "headless", "sandbox"]


def connect_account(
    store: Store,
    policy: OrgPolicy,
    provider: str,
    client: OAuthClientConfig,
    *,
    mode: AuthMode,
    login_hint: str | None = None,
    demo: bool = False,
    prompt: Callable[[str], str] = input,
    echo: Callable[[str], None] = print,
    principal: Principal = LOCAL_OPERATOR,
) -> AccountRecord:
    """Run the provider's OAuth flow, check policy against the real identity, store tokens encrypted.

    The account becomes the principal's (their tenant and user); the org policy may require a role
    for linking accounts at all, checked before any browser opens.
    """
    spec = provider_info(provider)
    if store.keyring is None or (store.keyring.demo and not demo):
        # Refuse before any browser opens: there would be nowhere safe to keep the tokens.
        raise ConfigurationError(
            "no encryption key: set CONNECTORS_ENCRYPTION_KEYS to store tokens "
            "(only `connectors demo` may use its local demo key)"
        )

    def log(event: str, context: dict[str, object]) -> None:
        store.log_linking_activity(event, tenant_id=principal.tenant_id, user_id=principal.user_id, context=context)

    log("connector_connect_started", {"provider": provider, "mode": mode})
    try:
        policy.check_linking(principal)  # before any browser opens
        policy.check_provider(provider)
        tokens = spec.authorize(client, spec.oauth_scopes, mode=mode, login_hint=login_hint, prompt=prompt, echo=echo)
    except ConnectorError as exc:
        log("connector_connect_failed", {"provider": provider, "error": str(exc)})
        raise
    try:
        profile = spec.factory(client, tokens, lambda _fresh: None, CallGuard(RetrySettings.from_env())).profile()
        policy.check_connect(provider, profile.email)
        account = store.connect_account(
            provider=provider,
            external_account_id=profile.external_account_id,
            email=profile.email,
            display_name=profile.display_name,
            client=client,
            tokens=tokens,
            tenant_id=principal.tenant_id,
            user_id=principal.user_id,
            # Names this connection, so a reconnect gets its own initial sync (see defs/sensors.py).
            metadata={"connection_id": uuid.uuid4().hex, "connected_at": datetime.now(UTC).isoformat()},
        )
    except Exception as exc:
        spec.revoke(client, tokens)  # a grant we will not keep must not linger upstream, whatever stopped us
        message = str(exc) if isinstance(exc, ConnectorError) else type(exc).__name__
        log("connector_connect_failed", {"provider": provider, "error": message})
        raise
    store.log_activity(
        "connector_connect_succeeded", partition_key=account.partition_key, context={"provider": provider}
    )
    return account


def remove_account(store: Store, partition_key: str, *, scope: AccountScope | None = None) -> bool:
    """Revoke upstream (best effort), delete the tokens, disable sources. Returns whether revocation worked.
    An account outside `scope` is not found."""
    account = store.get_account(partition_key, scope=scope)
    store.log_activity("connector_disconnect_started", partition_key=partition_key)
    client, tokens = store.load_credentials(partition_key)
    revoked = provider_info(account.provider).revoke(client, tokens)
    store.disconnect_account(partition_key, status="revoked" if revoked else "disconnected")
    store.log_activity("connector_disconnect_succeeded", partition_key=partition_key, context={"revoked": revoked})
    return revoked
