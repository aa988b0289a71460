"""The stored delta cursor: the provider's token plus the scope and policy it was taken under.

A change feed only mentions files that changed. Read with the cursor of another scope it would
miss every file of a newly registered folder; under a new org policy it would leave unchanged
files judged by the old rules. Keeping both fingerprints beside the token lets the pipeline notice
and take a fresh snapshot instead.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.providers.base import Scope


def scope_key(scopes: list[Scope]) -> str:
    """A short, stable fingerprint of what is synced."""
    described = sorted(json.dumps(asdict(scope), sort_keys=True) for scope in scopes)
    return hashlib.sha256("\n".join(described).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SyncCursor:
    token: str
    scope: str | None = None  # None (a bare token): matches nothing, so the next sync takes a snapshot
    policy: str | None = None

    @classmethod
    def taken(cls, token: str, scopes: list[Scope], policy: OrgPolicy) -> SyncCursor:
        return cls(token, scope_key(scopes), policy.fingerprint())

    def snapshot_needed(self, scopes: list[Scope], policy: OrgPolicy) -> str | None:
        """Why the feed cannot be read from here ("scope_changed", "policy_changed"), or None."""
        if self.scope != scope_key(scopes):
            return "scope_changed"
        if self.policy != policy.fingerprint():
            return "policy_changed"
        return None

    def encode(self) -> str:
        return json.dumps({"token": self.token, "scope": self.scope, "policy": self.policy}, sort_keys=True)

    @classmethod
    def decode(cls, raw: str) -> SyncCursor:
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("token"), str):
            return cls(token=value["token"], scope=value.get("scope"), policy=value.get("policy"))
        return cls(token=raw)
