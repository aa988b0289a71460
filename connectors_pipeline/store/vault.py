"""The vault: normalized documents with a version per distinct content, soft-deleted with a reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from connectors_pipeline.domain.principal import AccountScope
from connectors_pipeline.store import schema as t
from connectors_pipeline.store.base import AccountRef, StoreBase
from connectors_pipeline.store.records import (
    ItemNotFound,
    VaultDocument,
    VaultDocumentSummary,
    VaultInput,
    VaultVersion,
)
from connectors_pipeline.store.visibility import within

d = t.vault_documents
v = t.vault_document_versions
i = t.connector_items
a = t.connector_accounts
PAGE_SIZE = 1000
EVENT_BY_OUTCOME = {"created": "item_ingested", "updated": "item_updated", "restored": "item_restored"}


def _document(row: sa.Row[Any]) -> VaultDocument:
    m = row._mapping
    return VaultDocument(
        id=m["id"],
        partition_key=m["partition_key"],
        provider=m["provider"],
        external_id=m["external_id"],
        title=m["title"],
        path=m["path"],
        paths=tuple(m["paths"] or ()),
        mime_type=m["mime_type"],
        content_mime=m["content_mime"],
        size_bytes=m["size_bytes"],
        text=m["text"],
        content_hash=m["content_hash"],
        blob_sha256=m["blob_sha256"],
        provider_version=m["provider_version"],
        modified_time=m["modified_time"],
        provenance=dict(m["provenance"] or {}),
        current_version=m["current_version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        deleted_at=m["deleted_at"],
        deleted_reason=m["deleted_reason"],
    )


def _still_as_fetched(item: sa.Row[Any], document: VaultInput) -> bool:
    return (
        item.status == "fetched"
        and item.blob_sha256 == document.blob_sha256
        and item.fetched_version == document.provider_version
    )


class VaultMixin(StoreBase):
    def record_ingest(self, partition_key: str, external_id: str, **fields: Any) -> str:
        """Put one item's text into the vault, all in one transaction; `fields` are VaultInput's.

        Returns "created" (new document), "updated" (new content hash: a new version), "restored"
        (the document had been removed) or "unchanged" (same content; metadata refreshed, no
        version, no event). The item becomes `synced` and links to the document.

        For tools and tests that write the vault directly: unlike record_ingests, whatever the item's
        status, this ingests.
        """
        document = VaultInput(external_id=external_id, **fields)
        return self.record_ingests(partition_key, [document], fetched_only=False)[0]

    def record_ingests(
        self, partition_key: str, documents: list[VaultInput], *, fetched_only: bool = True
    ) -> list[str]:
        """Several items in one transaction (all or none); each gets record_ingest's outcome, or
        "superseded".

        `fetched_only`: a compare-and-set per item: it is ingested only while still `fetched` with the
        blob and version the document was extracted from. Otherwise another run (or a listing that saw
        a newer version) got there first, and writing these older bytes would make a stale version
        current: the document is left out, "superseded", and nothing is written for it.
        """
        if not documents:
            return []
        with self._write() as conn:
            account = self._account(conn, partition_key)
            self._check_fence(conn, account)
            # Every item row of the batch locked up front, in id order: two runs ingesting the same items
            # wait for each other (PostgreSQL) and the second sees the first's documents.
            rows = self._lock_items(conn, account, [doc.external_id for doc in documents])
            outcomes = []
            for doc in documents:
                row = rows.get(doc.external_id)
                if row is None:
                    raise ItemNotFound(account.partition_key, doc.external_id)
                if fetched_only and not _still_as_fetched(row, doc):
                    outcomes.append("superseded")
                    continue
                outcomes.append(self._ingest_one(conn, account, row.id, doc))
            return outcomes

    def _ingest_one(self, conn: sa.Connection, account: AccountRef, item_id: int, document: VaultInput) -> str:
        now = t.utcnow()
        external_id, content_hash, text = document.external_id, document.content_hash, document.text
        provider_version, provenance, blob_sha256 = document.provider_version, document.provenance, document.blob_sha256
        title = document.title
        fields: dict[str, Any] = dict(
            title=title,
            path=document.path,
            paths=list(document.paths),
            mime_type=document.mime_type,
            content_mime=document.content_mime,
            size_bytes=document.size_bytes,
            text=text,
            content_hash=content_hash,
            blob_sha256=blob_sha256,
            provider_version=provider_version,
            modified_time=document.modified_time,
            provenance=dict(provenance),
        )
        doc = conn.execute(
            sa.select(d).where(d.c.account_id == account.id).where(d.c.external_id == external_id)
        ).one_or_none()

        if doc is None:
            outcome, version_no = "created", 1
            document_id = conn.execute(
                sa.insert(d)
                .values(
                    account_id=account.id,
                    provider=account.provider,
                    external_id=external_id,
                    current_version=1,
                    created_at=now,
                    updated_at=now,
                    **fields,
                )
                .returning(d.c.id)
            ).scalar_one()
        else:
            document_id = doc.id
            new_content = doc.content_hash != content_hash
            version_no = doc.current_version + 1 if new_content else doc.current_version
            if doc.deleted_at is not None:
                outcome = "restored"
            else:
                outcome = "updated" if new_content else "unchanged"
            changed = outcome != "unchanged" or any(doc._mapping[k] != val for k, val in fields.items())
            if changed:
                conn.execute(
                    sa.update(d)
                    .where(d.c.id == document_id)
                    .values(
                        current_version=version_no,
                        updated_at=now,
                        deleted_at=None,
                        deleted_reason=None,
                        **fields,
                    )
                )
            if not new_content:
                version_no = 0  # no version row to add

        if version_no:
            conn.execute(
                sa.insert(v).values(
                    document_id=document_id,
                    version_no=version_no,
                    content_hash=content_hash,
                    text=text,
                    provider_version=provider_version,
                    provenance=dict(provenance),
                    blob_sha256=blob_sha256,
                    created_at=now,
                )
            )
        conn.execute(
            sa.update(i)
            .where(i.c.id == item_id)
            .values(
                status="synced",
                synced_version=provider_version,
                vault_document_id=document_id,
                skip_reason=None,
                skip_detail=None,
                last_error=None,
                updated_at=now,
            )
        )
        if outcome in EVENT_BY_OUTCOME:
            context = {"external_id": external_id, "document_id": document_id}
            if version_no:
                context["version"] = version_no
            self._log(conn, EVENT_BY_OUTCOME[outcome], account, context)
        return outcome

    def record_removal(self, partition_key: str, external_id: str, reason: str) -> bool:
        """The item left upstream: item `deleted` with the reason (in skip_reason), its document kept
        but marked deleted with the same reason. Idempotent; returns whether anything changed (and
        then logs `item_deleted`)."""
        reason = str(reason)  # RemovalReason is a StrEnum; store its plain value
        now = t.utcnow()
        with self._write() as conn:
            account = self._account(conn, partition_key)
            self._check_fence(conn, account)
            items_changed = conn.execute(
                sa.update(i)
                .where(i.c.account_id == account.id)
                .where(i.c.external_id == external_id)
                .where(sa.or_(i.c.status != "deleted", i.c.skip_reason.is_distinct_from(reason)))
                .values(status="deleted", skip_reason=reason, skip_detail=None, updated_at=now)
            ).rowcount
            document_id = self._retire_document(conn, account, external_id, reason)
            if document_id is None:
                # Already out of the vault (trashed, say), now gone for good: the latest reason is the one to show.
                conn.execute(
                    sa.update(d)
                    .where(d.c.account_id == account.id)
                    .where(d.c.external_id == external_id)
                    .where(d.c.deleted_at.is_not(None))
                    .values(deleted_reason=reason, updated_at=now)
                )
            changed = bool(items_changed) or document_id is not None
            if items_changed and document_id is None:
                context = {"external_id": external_id, "reason": reason, "document_id": None}
                self._log(conn, "item_deleted", account, context)
        return changed

    def _documents_query(self) -> sa.Select[Any]:
        return sa.select(d, a.c.partition_key).join(a, a.c.id == d.c.account_id)

    def get_document(self, document_id: int, *, scope: AccountScope | None = None) -> VaultDocument:
        """KeyError when there is no such document, or its account is outside `scope`."""
        query = within(self._documents_query().where(d.c.id == document_id), d.c.account_id, scope)
        with self._read() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            raise KeyError(f"no vault document {document_id}")
        return _document(row)

    def list_versions(self, document_id: int, *, scope: AccountScope | None = None) -> list[VaultVersion]:
        """Oldest first; none for a document outside `scope`."""
        query = within(
            sa.select(v).join(d, d.c.id == v.c.document_id).where(v.c.document_id == document_id),
            d.c.account_id,
            scope,
        ).order_by(v.c.version_no)
        with self._read() as conn:
            return [
                VaultVersion(
                    document_id=row.document_id,
                    version_no=row.version_no,
                    content_hash=row.content_hash,
                    text=row.text,
                    provider_version=row.provider_version,
                    provenance=dict(row.provenance or {}),
                    blob_sha256=row.blob_sha256,
                    created_at=row.created_at,
                )
                for row in conn.execute(query)
            ]

    def count_documents(self, partition_key: str | None = None, live_only: bool = True) -> int:
        query = sa.select(sa.func.count()).select_from(d)
        if live_only:
            query = query.where(d.c.deleted_at.is_(None))
        with self._read() as conn:
            if partition_key is not None:
                query = query.where(d.c.account_id == self._account(conn, partition_key).id)
            return conn.execute(query).scalar_one()

    def count_versions(self, partition_key: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(v.join(d, d.c.id == v.c.document_id))
        with self._read() as conn:
            if partition_key is not None:
                query = query.where(d.c.account_id == self._account(conn, partition_key).id)
            return conn.execute(query).scalar_one()

    def iter_live_documents(self, partition_key: str) -> Iterator[VaultDocumentSummary]:
        """Live documents in id order, read a page at a time so no transaction stays open between
        pages (a long SQLite read would stop WAL checkpoints)."""
        with self._read() as conn:
            account_id = self._account(conn, partition_key).id
        after = 0
        while True:
            query = (
                sa.select(d.c.id, d.c.external_id, d.c.mime_type, d.c.content_mime, d.c.size_bytes)
                .where(d.c.account_id == account_id)
                .where(d.c.deleted_at.is_(None))
                .where(d.c.id > after)
                .order_by(d.c.id)
                .limit(PAGE_SIZE)
            )
            with self._read() as conn:
                rows = conn.execute(query).all()
            for row in rows:
                yield VaultDocumentSummary(*row)
            if len(rows) < PAGE_SIZE:
                return
            after = rows[-1].id
