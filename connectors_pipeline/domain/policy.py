"""Org policy from ORG_CONNECTORS_* variables, enforced at connect time and on every item during sync."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors_pipeline.domain.errors import ConfigurationError, PolicyError
from connectors_pipeline.domain.file_types import (
    EXPORT_FORMATS,
    SUPPORTED_FILE_TYPES,
    file_type_of,
    is_provider_native,
)
from connectors_pipeline.domain.items import RemoteItem, SkipReason
from connectors_pipeline.domain.principal import Principal, Role

DEFAULT_MAX_FILE_SIZE_MB = 25
LINKING_ROLE_ENV = "ORG_CONNECTORS_ACCOUNT_LINKING_ROLE"
# Rules about who may connect, not about which items may enter the vault: changing them must not
# make every account's next sync a full snapshot (see fingerprint).
CONNECT_ONLY_RULES = frozenset({"account_linking_role"})


def _csv(raw: str | None) -> frozenset[str] | None:
    if raw is None or not raw.strip():
        return None
    return frozenset(part.strip().lower() for part in raw.split(",") if part.strip())


class OrgPolicy(BaseModel):
    """None for a set means 'no restriction'."""

    model_config = ConfigDict(frozen=True)

    enabled_providers: frozenset[str] | None = None
    allowed_file_types: frozenset[str] = SUPPORTED_FILE_TYPES
    max_file_size_bytes: int = Field(default=DEFAULT_MAX_FILE_SIZE_MB * 1024 * 1024, gt=0)
    allowed_export_formats: frozenset[str] | None = None  # MIME types
    allowed_email_domains: frozenset[str] | None = None
    account_linking_role: Role | None = None  # None: anyone may connect an account
    # How much of an e-mail enters the vault: headers only, or the body and allowed attachments too.
    gmail_content: Literal["metadata", "full"] = "metadata"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OrgPolicy:
        file_types = _csv(env.get("ORG_CONNECTORS_ALLOWED_FILE_TYPES"))
        if file_types is not None and (unknown := file_types - SUPPORTED_FILE_TYPES):
            raise ConfigurationError(
                f"ORG_CONNECTORS_ALLOWED_FILE_TYPES names unknown types {sorted(unknown)}; "
                f"known: {sorted(SUPPORTED_FILE_TYPES)}"
            )
        formats = _csv(env.get("ORG_CONNECTORS_ALLOWED_EXPORT_FORMATS"))
        if formats is not None and (unknown := formats - set(EXPORT_FORMATS) - set(EXPORT_FORMATS.values())):
            raise ConfigurationError(
                f"ORG_CONNECTORS_ALLOWED_EXPORT_FORMATS names unknown formats {sorted(unknown)}; "
                f"known: {sorted(EXPORT_FORMATS)}"
            )
        max_mb = env.get("ORG_CONNECTORS_MAX_FILE_SIZE_MB", str(DEFAULT_MAX_FILE_SIZE_MB))
        try:
            max_bytes = int(float(max_mb) * 1024 * 1024)
        except ValueError as exc:
            raise ConfigurationError(f"ORG_CONNECTORS_MAX_FILE_SIZE_MB must be a number, got {max_mb!r}") from exc
        linking_role = env.get(LINKING_ROLE_ENV, "").strip()
        gmail_content = env.get("ORG_CONNECTORS_GMAIL_CONTENT", "metadata").strip().lower() or "metadata"
        if gmail_content not in ("metadata", "full"):
            raise ConfigurationError(f"ORG_CONNECTORS_GMAIL_CONTENT must be metadata or full, got {gmail_content!r}")
        return cls(
            enabled_providers=_csv(env.get("ORG_CONNECTORS_ENABLED_PROVIDERS")),
            allowed_file_types=file_types if file_types is not None else SUPPORTED_FILE_TYPES,
            max_file_size_bytes=max_bytes,
            allowed_export_formats=(
                frozenset(EXPORT_FORMATS.get(f, f) for f in formats) if formats is not None else None
            ),
            allowed_email_domains=_csv(env.get("ORG_CONNECTORS_ALLOWED_EMAIL_DOMAINS")),
            account_linking_role=Role.parse(linking_role, LINKING_ROLE_ENV) if linking_role else None,
            gmail_content=gmail_content,
        )

    def fingerprint(self) -> str:
        """Equal for equal policies: a sync under other rules must judge every item again."""
        rules = {
            key: sorted(value) if isinstance(value, frozenset) else value
            for key, value in self
            if key not in CONNECT_ONLY_RULES
        }
        return hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()[:16]

    def provider_enabled(self, provider: str) -> bool:
        return self.enabled_providers is None or provider in self.enabled_providers

    def check_provider(self, provider: str) -> None:
        if not self.provider_enabled(provider):
            raise PolicyError(f"provider {provider!r} is not enabled by ORG_CONNECTORS_ENABLED_PROVIDERS")

    def check_linking(self, principal: Principal) -> None:
        """Raise PolicyError if this person's role may not connect accounts (roles are ordered: an
        admin may whatever a member may)."""
        required = self.account_linking_role
        if required is not None and not principal.role.includes(required):
            raise PolicyError(
                f"connecting accounts needs the {required.value} role ({LINKING_ROLE_ENV}); "
                f"you have the {principal.role.value} role"
            )

    def check_connect(self, provider: str, email: str | None) -> None:
        """Raise PolicyError if this account may not be connected."""
        self.check_provider(provider)
        if self.allowed_email_domains is not None:
            domain = (email or "").rpartition("@")[2].lower()
            if domain not in self.allowed_email_domains:
                raise PolicyError("the account's e-mail domain is not in ORG_CONNECTORS_ALLOWED_EMAIL_DOMAINS")

    def skip_reason(self, item: RemoteItem) -> SkipReason | None:
        """Why this item may not enter the vault, judged on metadata alone (before any download)."""
        if not self.provider_enabled(item.provider):
            return SkipReason.PROVIDER_DISABLED
        if item.trashed:
            return SkipReason.TRASHED
        file_type = file_type_of(item.mime_type)
        if file_type is None:
            return SkipReason.UNSUPPORTED_TYPE
        if file_type not in self.allowed_file_types:
            return SkipReason.FILE_TYPE_NOT_ALLOWED
        if item.size is not None and item.size > self.max_file_size_bytes:
            return SkipReason.TOO_LARGE
        return None

    def stored_violation(self, mime_type: str, content_mime: str | None, size: int | None) -> SkipReason | None:
        """Re-judge something already fetched or in the vault against today's policy (asset checks)."""
        file_type = file_type_of(mime_type)
        if file_type is None:
            return SkipReason.UNSUPPORTED_TYPE
        if file_type not in self.allowed_file_types:
            return SkipReason.FILE_TYPE_NOT_ALLOWED
        return self.allows_content(content_mime or mime_type, size or 0, exported=is_provider_native(mime_type))

    def allows_content(self, content_mime: str, size: int, *, exported: bool) -> SkipReason | None:
        """Judge what was actually fetched: exports have no size until fetched, and a format to allow."""
        if size > self.max_file_size_bytes:
            return SkipReason.TOO_LARGE
        if exported and self.allowed_export_formats is not None and content_mime not in self.allowed_export_formats:
            return SkipReason.EXPORT_FORMAT_NOT_ALLOWED
        return None
