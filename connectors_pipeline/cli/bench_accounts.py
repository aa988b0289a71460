"""Many sandbox Drive accounts connected at once: straight through the store with tokens the sandbox
issues, as the OAuth flow would leave them, without a consent round trip per account."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.providers.google_drive import DRIVE_SCOPES
from connectors_pipeline.store import AccountRecord, Store


def connect_sandbox_drive(store: Store, state, client: OAuthClientConfig, email: str) -> AccountRecord:
    """Connect `email`'s sandbox Drive (the user is added if needed) as a new connection."""
    access, refresh = state.issue_tokens(email)
    tokens = OAuthTokens(
        access_token=SecretStr(access),
        refresh_token=SecretStr(refresh),
        expiry=datetime.now(UTC) + timedelta(minutes=50),
        scopes=DRIVE_SCOPES,
    )
    return store.connect_account(
        provider="google_drive",
        external_account_id=state.drive(email).permission_id,
        email=email,
        display_name=email,
        client=client,
        tokens=tokens,
        # As connect.connect_account names each connection: the accounts sensor starts one initial sync per name.
        metadata={"connection_id": uuid.uuid4().hex, "connected_at": datetime.now(UTC).isoformat()},
    )


def connect_sandbox_drives(store: Store, state, client: OAuthClientConfig, emails: Iterable[str]) -> dict[str, str]:
    """Partition key -> e-mail of every account connected, in connection order."""
    return {connect_sandbox_drive(store, state, client, email).partition_key: email for email in emails}
