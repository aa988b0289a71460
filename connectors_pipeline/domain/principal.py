"""Who is acting (tenant, user, role) and which connected accounts that lets them read.

A local CLI cannot authenticate anyone: there the principal is what CONNECTORS_TENANT,
CONNECTORS_USER and CONNECTORS_ROLE declare. A service in front of the store would build the same
`Principal` from its session instead; everything below it (scoped reads, the linking role) is the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from connectors_pipeline.domain.errors import ConfigurationError

DEFAULT_TENANT = "default"
DEFAULT_USER = "local"


class Role(StrEnum):
    """Ordered: each role may do everything the roles before it may."""

    MEMBER = "member"
    ADMIN = "admin"

    @classmethod
    def parse(cls, raw: str, variable: str) -> Role:
        try:
            return cls(raw.strip().lower())
        except ValueError:
            known = ", ".join(role.value for role in cls)
            raise ConfigurationError(f"{variable} must be one of {known}, got {raw!r}") from None

    def includes(self, required: Role) -> bool:
        order = list(Role)
        return order.index(self) >= order.index(required)


@dataclass(frozen=True)
class AccountScope:
    """The accounts a read may return: one tenant's, and only one user's unless `user_id` is None."""

    tenant_id: str
    user_id: str | None


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    user_id: str
    role: Role

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Principal:
        role = env.get("CONNECTORS_ROLE", "").strip()
        return cls(
            tenant_id=env.get("CONNECTORS_TENANT", "").strip() or DEFAULT_TENANT,
            user_id=env.get("CONNECTORS_USER", "").strip() or DEFAULT_USER,
            # One person running their own install is its administrator.
            role=Role.parse(role, "CONNECTORS_ROLE") if role else Role.ADMIN,
        )

    @property
    def scope(self) -> AccountScope:
        """Members read their own accounts; admins every account of their tenant. Nobody reads
        another tenant's."""
        return AccountScope(self.tenant_id, None if self.role.includes(Role.ADMIN) else self.user_id)


# Who connects accounts when no one says otherwise: the person running a single-user install.
LOCAL_OPERATOR = Principal(DEFAULT_TENANT, DEFAULT_USER, Role.ADMIN)
