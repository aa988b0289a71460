"""Integrity finders behind the Dagster asset checks; each returns the offending rows, empty when clean."""

from __future__ import annotations

import sqlalchemy as sa

from connectors_pipeline.store import schema as t
from connectors_pipeline.store.base import StoreBase
from connectors_pipeline.store.records import Coverage

d = t.vault_documents
v = t.vault_document_versions
i = t.connector_items

# An item in one of these is not expected in the vault; any other status is (pending, fetched and error
# items keep their last good version live until a sync brings them up to date).
NOT_IN_VAULT = ("skipped", "deleted")


class IntegrityMixin(StoreBase):
    def find_repeated_versions(self, partition_key: str) -> list[tuple[int, str]]:
        """(document_id, content_hash) of every version whose hash equals the version just before
        it: an unchanged item was ingested again. Uses LAG so gaps in numbering do not hide one."""
        with self._read() as conn:
            account = self._account(conn, partition_key)
            ordered = (
                sa.select(
                    v.c.document_id,
                    v.c.version_no,
                    v.c.content_hash,
                    sa.func.lag(v.c.content_hash)
                    .over(partition_by=v.c.document_id, order_by=v.c.version_no)
                    .label("previous_hash"),
                )
                .join(d, d.c.id == v.c.document_id)
                .where(d.c.account_id == account.id)
                .subquery()
            )
            rows = conn.execute(
                sa.select(ordered.c.document_id, ordered.c.content_hash)
                .where(ordered.c.content_hash == ordered.c.previous_hash)
                .order_by(ordered.c.document_id, ordered.c.version_no)
            ).all()
        return [(row.document_id, row.content_hash) for row in rows]

    def find_items_sharing_a_document(self, partition_key: str) -> list[int]:
        """vault_document_ids linked from more than one connector item (of any account), for the
        account's documents and the documents its items link to."""
        with self._read() as conn:
            account = self._account(conn, partition_key)
            own_documents = sa.select(d.c.id).where(d.c.account_id == account.id)
            linked_by_own_items = sa.select(i.c.vault_document_id).where(i.c.account_id == account.id)
            rows = conn.execute(
                sa.select(i.c.vault_document_id)
                .where(i.c.vault_document_id.is_not(None))
                .where(
                    sa.or_(
                        i.c.vault_document_id.in_(own_documents),
                        i.c.vault_document_id.in_(linked_by_own_items),
                    )
                )
                .group_by(i.c.vault_document_id)
                .having(sa.func.count() > 1)
                .order_by(i.c.vault_document_id)
            ).scalars()
            return list(rows)

    def find_orphan_documents(self, partition_key: str) -> list[int]:
        """Live documents whose item is missing, was skipped or deleted, or links another document.

        An item that is pending, fetched or in error still has its last good version live; that is
        not an orphan (a later sync brings it up to date).
        """
        with self._read() as conn:
            account = self._account(conn, partition_key)
            item = i.alias("item")
            rows = conn.execute(
                sa.select(d.c.id)
                .select_from(
                    d.outerjoin(
                        item,
                        sa.and_(item.c.account_id == d.c.account_id, item.c.external_id == d.c.external_id),
                    )
                )
                .where(d.c.account_id == account.id)
                .where(d.c.deleted_at.is_(None))
                .where(
                    sa.or_(
                        item.c.id.is_(None),
                        item.c.status.in_(NOT_IN_VAULT),
                        item.c.vault_document_id.is_(None),
                        item.c.vault_document_id != d.c.id,
                    )
                )
                .order_by(d.c.id)
            ).scalars()
            return list(rows)

    def find_coverage(self, partition_key: str, sample: int = 20) -> Coverage:
        """Allowed items against live documents. An item is covered when the vault holds a live
        document under its identity (account, external id); whether the item links that document is
        find_items_sharing_a_document's and find_orphan_documents' business."""
        with self._read() as conn:
            account = self._account(conn, partition_key)
            items_with_document = i.outerjoin(
                d,
                sa.and_(
                    d.c.account_id == i.c.account_id,
                    d.c.external_id == i.c.external_id,
                    d.c.deleted_at.is_(None),
                ),
            )
            allowed = sa.and_(i.c.account_id == account.id, i.c.status.not_in(NOT_IN_VAULT))
            by_status = conn.execute(
                sa.select(i.c.status, sa.func.count(i.c.id), sa.func.count(d.c.id))
                .select_from(items_with_document)
                .where(allowed)
                .group_by(i.c.status)
                .order_by(i.c.status)
            ).all()
            uncovered_sample = (
                conn.execute(
                    sa.select(i.c.external_id)
                    .select_from(items_with_document)
                    .where(allowed)
                    .where(d.c.id.is_(None))
                    .order_by(i.c.id)
                    .limit(sample)
                )
                .scalars()
                .all()
            )
            live_documents = conn.execute(
                sa.select(sa.func.count())
                .select_from(d)
                .where(d.c.account_id == account.id)
                .where(d.c.deleted_at.is_(None))
            ).scalar_one()
            return Coverage(
                allowed_by_status={status: items for status, items, _ in by_status},
                uncovered_by_status={
                    status: items - covered for status, items, covered in by_status if items > covered
                },
                uncovered_sample=tuple(uncovered_sample),
                live_documents=live_documents,
            )
