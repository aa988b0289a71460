"""The one rule every read on a person's behalf follows: only the accounts of their scope, and what hangs off them.

A user-facing read takes `scope` (an AccountScope) and limits its rows with `within`, which keeps
rows whose account is one of the scope's. `scope=None` is the pipeline's and the operator's view:
Dagster steps and sensors name one account by its partition key, or walk every account.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from connectors_pipeline.domain.principal import AccountScope
from connectors_pipeline.store import schema as t
from connectors_pipeline.store.records import AccountNotFound

a = t.connector_accounts


def owned_by(
    scope: AccountScope, tenant_id: sa.ColumnElement[Any], user_id: sa.ColumnElement[Any]
) -> sa.ColumnElement[bool]:
    """Rows recording this tenant (and, for a per-user scope, this user) as their owner."""
    condition = tenant_id == scope.tenant_id
    return condition if scope.user_id is None else sa.and_(condition, user_id == scope.user_id)


def visible_account_ids(scope: AccountScope) -> sa.Select[Any]:
    return sa.select(a.c.id).where(owned_by(scope, a.c.tenant_id, a.c.user_id))


def within(query: sa.Select[Any], account_id: sa.ColumnElement[Any], scope: AccountScope | None) -> sa.Select[Any]:
    """`query` keeping only rows whose `account_id` is an account of the scope."""
    return query if scope is None else query.where(account_id.in_(visible_account_ids(scope)))


def account_id_in_scope(conn: sa.Connection, partition_key: str, scope: AccountScope | None) -> int:
    """The account's id; AccountNotFound for an account outside the scope, exactly as for one that
    does not exist, so a scope cannot probe for other tenants' accounts."""
    query = within(sa.select(a.c.id).where(a.c.partition_key == partition_key), a.c.id, scope)
    account_id = conn.execute(query).scalar_one_or_none()
    if account_id is None:
        raise AccountNotFound(partition_key)
    return account_id
