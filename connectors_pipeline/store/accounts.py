"""Connected accounts (with their encrypted OAuth credentials) and the sources in scope for each."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from connectors_pipeline.domain.accounts import partition_key_for
from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.domain.principal import AccountScope
from connectors_pipeline.store import schema as t
from connectors_pipeline.store.base import AccountRef, StoreBase
from connectors_pipeline.store.cipher import NO_KEY_MESSAGE, CredentialDecryptError, KeyRing
from connectors_pipeline.store.records import AccountNotFound, AccountRecord, SourceRecord
from connectors_pipeline.store.visibility import account_id_in_scope, within

a = t.connector_accounts
s = t.connector_sources


def _aad(tenant_id: str, provider: str, partition_key: str) -> str:
    # Binds a ciphertext to its account row: moved elsewhere, it fails authentication.
    return f"{tenant_id}/{provider}/{partition_key}"


def _secret_json(client: OAuthClientConfig, tokens: OAuthTokens) -> str:
    client_dict = client.model_dump(mode="python")
    client_dict["client_secret"] = client.client_secret.get_secret_value()
    return json.dumps({"client": client_dict, "tokens": json.loads(tokens.to_secret_json())})


def _parse_secret_json(raw: str) -> tuple[OAuthClientConfig, OAuthTokens]:
    data = json.loads(raw)
    return (
        OAuthClientConfig.model_validate(data["client"]),
        OAuthTokens.from_secret_json(json.dumps(data["tokens"])),
    )


def _account_record(row: sa.Row[Any]) -> AccountRecord:
    m = row._mapping
    return AccountRecord(
        partition_key=m["partition_key"],
        tenant_id=m["tenant_id"],
        user_id=m["user_id"],
        provider=m["provider"],
        external_account_id=m["external_account_id"],
        email=m["email"],
        display_name=m["display_name"],
        status=m["status"],
        last_sync_at=m["last_sync_at"],
        last_error=m["last_error"],
        metadata=dict(m["metadata"] or {}),
        created_at=m["created_at"],
        has_credentials=m["credentials_ciphertext"] is not None,
    )


def _source_record(row: sa.Row[Any]) -> SourceRecord:
    m = row._mapping
    return SourceRecord(
        id=m["id"],
        partition_key=m["partition_key"],
        kind=m["kind"],
        external_id=m["external_id"],
        name=m["name"],
        recursive=m["recursive"],
        options=dict(m["options"] or {}),
        enabled=m["enabled"],
    )


def _check_status(status: str) -> None:
    if status not in t.ACCOUNT_STATUSES:
        raise ValueError(f"account status must be one of {t.ACCOUNT_STATUSES}, got {status!r}")


class AccountsMixin(StoreBase):
    def _require_keyring(self) -> KeyRing:
        if self.keyring is None:
            raise ConfigurationError(NO_KEY_MESSAGE)
        return self.keyring

    def connect_account(
        self,
        *,
        provider: str,
        external_account_id: str,
        email: str | None,
        display_name: str,
        client: OAuthClientConfig,
        tokens: OAuthTokens,
        tenant_id: str = "default",
        user_id: str = "local",
        metadata: dict[str, Any] | None = None,
    ) -> AccountRecord:
        """Create or reconnect an account; logs `connector_connected` in the same transaction."""
        keyring = self._require_keyring()  # before any write: no key, no row
        partition_key = partition_key_for(provider, tenant_id, external_account_id)
        ciphertext = keyring.encrypt(_secret_json(client, tokens), _aad(tenant_id, provider, partition_key))
        now = t.utcnow()
        values = dict(
            tenant_id=tenant_id,
            user_id=user_id,
            provider=provider,
            external_account_id=external_account_id,
            partition_key=partition_key,
            email=email,
            display_name=display_name,
            status="connected",
            credentials_ciphertext=ciphertext,
            key_id=keyring.newest_key_id,
            last_error=None,
            metadata=dict(metadata or {}),
            created_at=now,
            updated_at=now,
        )
        stmt = self._insert(a).values(**values)
        updates = {k: stmt.excluded[k] for k in values if k not in ("created_at", "tenant_id", "provider")}
        stmt = stmt.on_conflict_do_update(
            index_elements=[a.c.tenant_id, a.c.provider, a.c.external_account_id], set_=updates
        )
        with self._write() as conn:
            conn.execute(stmt)
            account = self._account(conn, partition_key)
            # Re-enable sources a previous disconnect switched off: reconnecting resumes the sync.
            conn.execute(sa.update(s).where(s.c.account_id == account.id).values(enabled=True, updated_at=now))
            self._log(conn, "connector_connected", account, {"provider": provider})
            row = conn.execute(sa.select(a).where(a.c.id == account.id)).one()
        return _account_record(row)

    def get_account(self, partition_key: str, *, scope: AccountScope | None = None) -> AccountRecord:
        """AccountNotFound when there is no such account, or it is outside `scope`."""
        query = within(sa.select(a).where(a.c.partition_key == partition_key), a.c.id, scope)
        with self._read() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            raise AccountNotFound(partition_key)
        return _account_record(row)

    def list_accounts(
        self,
        provider: str | None = None,
        statuses: Iterable[str] | None = ("connected",),
        *,
        scope: AccountScope | None = None,
    ) -> list[AccountRecord]:
        """Accounts ordered by creation; `statuses=None` means every status."""
        query = within(sa.select(a).order_by(a.c.id), a.c.id, scope)
        if provider is not None:
            query = query.where(a.c.provider == provider)
        if statuses is not None:
            query = query.where(a.c.status.in_(list(statuses)))
        with self._read() as conn:
            return [_account_record(row) for row in conn.execute(query)]

    def log_linking_activity(
        self, event: str, *, tenant_id: str, user_id: str, context: dict[str, Any] | None = None
    ) -> None:
        """An event of a connect attempt, before there is an account to name: recorded as the linking
        person's, so their own activity shows it. Never put secrets in the context."""
        with self._write() as conn:
            conn.execute(
                sa.insert(t.activity_log).values(
                    tenant_id=tenant_id,
                    user_id=user_id,
                    account_id=None,
                    event=event,
                    context=dict(context or {}),
                    created_at=t.utcnow(),
                )
            )

    def _credentials(self, conn: sa.Connection, partition_key: str, *, lock: bool = False) -> tuple[AccountRef, str]:
        account = self._account(conn, partition_key, lock=lock)
        ciphertext = conn.execute(sa.select(a.c.credentials_ciphertext).where(a.c.id == account.id)).scalar_one()
        if ciphertext is None:
            raise ConfigurationError(f"account {partition_key} has no stored credentials; reconnect it")
        return account, ciphertext

    def load_credentials(self, partition_key: str) -> tuple[OAuthClientConfig, OAuthTokens]:
        keyring = self._require_keyring()
        with self._read() as conn:
            account, ciphertext = self._credentials(conn, partition_key)
        aad = _aad(account.tenant_id, account.provider, account.partition_key)
        return _parse_secret_json(keyring.decrypt(ciphertext, aad))

    def update_tokens(self, partition_key: str, tokens: OAuthTokens) -> None:
        """Store refreshed tokens. A refresh response without a refresh token keeps the stored one
        (Google omits it on refresh); losing it would force the person to reconnect."""
        keyring = self._require_keyring()
        with self._write() as conn:
            # Locked: two processes refreshing at once must not both read the old ciphertext, where the
            # last writer would drop a refresh token only the first one's response carried.
            account, ciphertext = self._credentials(conn, partition_key, lock=True)
            aad = _aad(account.tenant_id, account.provider, account.partition_key)
            client, old = _parse_secret_json(keyring.decrypt(ciphertext, aad))
            if tokens.refresh_token is None and old.refresh_token is not None:
                tokens = tokens.model_copy(update={"refresh_token": old.refresh_token})
            conn.execute(
                sa.update(a)
                .where(a.c.id == account.id)
                .values(
                    credentials_ciphertext=keyring.encrypt(_secret_json(client, tokens), aad),
                    key_id=keyring.newest_key_id,
                    updated_at=t.utcnow(),
                )
            )

    def set_account_status(self, partition_key: str, status: str, error: str | None = None) -> None:
        _check_status(status)
        with self._write() as conn:
            account = self._account(conn, partition_key)
            conn.execute(
                sa.update(a).where(a.c.id == account.id).values(status=status, last_error=error, updated_at=t.utcnow())
            )

    def mark_synced(self, partition_key: str) -> None:
        now = t.utcnow()
        with self._write() as conn:
            account = self._account(conn, partition_key)
            conn.execute(
                sa.update(a).where(a.c.id == account.id).values(last_sync_at=now, last_error=None, updated_at=now)
            )

    def disconnect_account(self, partition_key: str, status: str = "disconnected") -> None:
        """Forget the credentials and stop syncing; the vault keeps what it has. Logs
        `connector_disconnected`."""
        _check_status(status)
        if status == "connected":
            raise ValueError("disconnect_account needs a status other than 'connected'")
        now = t.utcnow()
        with self._write() as conn:
            account = self._account(conn, partition_key)
            conn.execute(
                sa.update(a)
                .where(a.c.id == account.id)
                .values(status=status, credentials_ciphertext=None, key_id=None, updated_at=now)
            )
            conn.execute(sa.update(s).where(s.c.account_id == account.id).values(enabled=False, updated_at=now))
            self._log(conn, "connector_disconnected", account, {"status": status})

    def reencrypt_all(self) -> int:
        """Move every credential not yet under the newest key onto it; returns how many moved.
        Afterwards the older keys can be removed from CONNECTORS_ENCRYPTION_KEYS."""
        keyring = self._require_keyring()
        newest = keyring.newest_key_id
        moved = 0
        with self._write() as conn:
            rows = conn.execute(
                sa.select(a.c.id, a.c.tenant_id, a.c.provider, a.c.partition_key, a.c.credentials_ciphertext)
                .where(a.c.credentials_ciphertext.is_not(None))
                .where(sa.or_(a.c.key_id.is_(None), a.c.key_id != newest))
                .with_for_update()
            ).all()
            for row in rows:
                aad = _aad(row.tenant_id, row.provider, row.partition_key)
                try:
                    plaintext = keyring.decrypt(row.credentials_ciphertext, aad)
                except CredentialDecryptError as exc:
                    raise CredentialDecryptError(f"account {row.partition_key}: {exc}") from exc
                conn.execute(
                    sa.update(a)
                    .where(a.c.id == row.id)
                    .values(credentials_ciphertext=keyring.encrypt(plaintext, aad), key_id=newest)
                )
                moved += 1
        return moved

    # -- sources --------------------------------------------------------------------------------

    def add_source(
        self,
        partition_key: str,
        *,
        kind: str,
        external_id: str,
        name: str,
        recursive: bool = True,
        options: dict[str, Any] | None = None,
    ) -> SourceRecord:
        """Add (or update and re-enable) a source, unique per (account, kind, external_id)."""
        now = t.utcnow()
        with self._write() as conn:
            account = self._account(conn, partition_key)
            stmt = self._insert(s).values(
                account_id=account.id,
                kind=kind,
                external_id=external_id,
                name=name,
                recursive=recursive,
                options=dict(options or {}),
                enabled=True,
                created_at=now,
                updated_at=now,
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=[s.c.account_id, s.c.kind, s.c.external_id],
                set_={k: stmt.excluded[k] for k in ("name", "recursive", "options", "enabled", "updated_at")},
            )
            conn.execute(stmt)
            row = conn.execute(
                self._sources_query()
                .where(s.c.account_id == account.id)
                .where(s.c.kind == kind)
                .where(s.c.external_id == external_id)
            ).one()
        return _source_record(row)

    def _sources_query(self) -> sa.Select[Any]:
        return sa.select(s, a.c.partition_key).join(a, a.c.id == s.c.account_id).order_by(s.c.id)

    def list_sources(
        self, partition_key: str | None = None, enabled_only: bool = True, *, scope: AccountScope | None = None
    ) -> list[SourceRecord]:
        query = within(self._sources_query(), s.c.account_id, scope)
        if enabled_only:
            query = query.where(s.c.enabled.is_(True))
        with self._read() as conn:
            if partition_key is not None:
                query = query.where(s.c.account_id == account_id_in_scope(conn, partition_key, scope))
            return [_source_record(row) for row in conn.execute(query)]
