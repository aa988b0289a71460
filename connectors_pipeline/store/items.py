"""Connector items: the last seen remote state of every file and what the pipeline did with it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

import sqlalchemy as sa

from connectors_pipeline.domain.items import RemoteItem
from connectors_pipeline.store import schema as t
from connectors_pipeline.store.base import AccountRef, StoreBase
from connectors_pipeline.store.records import FetchedBlob, ItemNotFound, ItemRecord

i = t.connector_items
T = TypeVar("T")
CHUNK_SIZE = 500  # rows per INSERT and per transaction: short locks, bounded statement size


def _item_record(partition_key: str, row: sa.Row[Any]) -> ItemRecord:
    m = row._mapping
    return ItemRecord(
        partition_key=partition_key,
        external_id=m["external_id"],
        name=m["name"],
        paths=tuple(m["paths"] or ()),
        mime_type=m["mime_type"],
        size=m["size"],
        modified_time=m["modified_time"],
        version=m["version"],
        md5=m["md5"],
        trashed=m["trashed"],
        status=m["status"],
        skip_reason=m["skip_reason"],
        skip_detail=m["skip_detail"],
        last_error=m["last_error"],
        blob_sha256=m["blob_sha256"],
        content_mime=m["content_mime"],
        content_size=m["content_size"],
        provenance=dict(m["provenance"]) if m["provenance"] is not None else None,
        fetched_version=m["fetched_version"],
        synced_version=m["synced_version"],
        vault_document_id=m["vault_document_id"],
        updated_at=m["updated_at"],
        web_url=m["web_url"],
        owned_by_account=m["owned_by_account"],
    )


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class ItemsMixin(StoreBase):
    def load_items(
        self,
        partition_key: str,
        *,
        external_ids: Iterable[str] | None = None,
        statuses: Iterable[str] | None = None,
    ) -> dict[str, ItemRecord]:
        """The account's items by external id; only the given ids or statuses when asked, so an
        incremental sync reads what changed, not the whole account."""
        with self._read() as conn:
            account = self._account(conn, partition_key)
            query = sa.select(i).where(i.c.account_id == account.id).order_by(i.c.id)
            if statuses is not None:
                query = query.where(i.c.status.in_(list(statuses)))
            if external_ids is None:
                return {row.external_id: _item_record(partition_key, row) for row in conn.execute(query)}
            found: dict[str, ItemRecord] = {}
            for chunk in _chunks(external_ids, CHUNK_SIZE):
                for row in conn.execute(query.where(i.c.external_id.in_(chunk))):
                    found[row.external_id] = _item_record(partition_key, row)
            return found

    def count_items(self, partition_key: str, *statuses: str, since: datetime | None = None) -> int:
        """Items with any of these statuses, optionally only those that changed since a moment."""
        with self._read() as conn:
            account = self._account(conn, partition_key)
            query = sa.select(sa.func.count()).where(i.c.account_id == account.id).where(i.c.status.in_(statuses))
            if since is not None:
                query = query.where(i.c.updated_at >= since)
            return int(conn.execute(query).scalar_one())

    def save_remote_items(self, partition_key: str, items: Iterable[RemoteItem], status: str = "pending") -> int:
        """Upsert the remote state of `items` with `status`; returns how many rows were written.

        Written ~500 rows per statement and transaction, so a 100,000-file listing neither holds a
        lock for long nor builds one giant statement. Skip reason and detail are left as they are
        (record_skip uses them to avoid logging the same skip again on every listing).
        """
        if status not in t.ITEM_STATUSES:
            raise ValueError(f"item status must be one of {t.ITEM_STATUSES}, got {status!r}")
        with self._read() as conn:
            account = self._account(conn, partition_key)
        saved = 0
        for chunk in _chunks(items, CHUNK_SIZE):
            # PostgreSQL refuses to upsert one row twice in a statement: keep the last occurrence.
            # Rows in id order: two writers of overlapping rows lock them in the same order (no deadlock).
            unique = sorted({item.external_id: item for item in chunk}.values(), key=lambda item: item.external_id)
            self._upsert_chunk(account, unique, status)
            saved += len(unique)
        return saved

    def _upsert_chunk(self, account: AccountRef, items: list[RemoteItem], status: str) -> None:
        now = t.utcnow()
        rows = [
            dict(
                account_id=account.id,
                external_id=item.external_id,
                name=item.name,
                paths=list(item.paths),
                mime_type=item.mime_type,
                size=item.size,
                modified_time=item.modified_time,
                version=item.version,
                md5=item.md5,
                trashed=item.trashed,
                web_url=item.web_url,
                owned_by_account=item.owned_by_account,
                status=status,
                created_at=now,
                updated_at=now,
            )
            for item in items
        ]
        # executemany of one cached statement: compiling a 500-row VALUES clause would cost more
        # than running it (SQLAlchemy batches it into multi-row INSERTs on PostgreSQL itself).
        stmt = self._insert(i)
        updated = ("name", "paths", "mime_type", "size", "modified_time", "version", "md5", "trashed")
        stmt = stmt.on_conflict_do_update(
            index_elements=[i.c.account_id, i.c.external_id],
            set_={k: stmt.excluded[k] for k in (*updated, "web_url", "owned_by_account", "status", "updated_at")},
        )
        with self._write() as conn:
            self._check_fence(conn, account)
            conn.execute(stmt, rows)

    def _update_item(self, conn: sa.Connection, account: AccountRef, external_id: str, **values: Any) -> None:
        result = conn.execute(
            sa.update(i)
            .where(i.c.account_id == account.id)
            .where(i.c.external_id == external_id)
            .values(updated_at=t.utcnow(), **values)
        )
        if result.rowcount == 0:
            raise ItemNotFound(account.partition_key, external_id)

    def record_fetch(
        self,
        partition_key: str,
        external_id: str,
        *,
        blob_sha256: str,
        content_mime: str,
        size: int,
        provenance: dict[str, Any],
        version: str | None,
    ) -> None:
        """The item's bytes are in the blob store; status `fetched`."""
        self.record_fetches(
            partition_key, [FetchedBlob(external_id, blob_sha256, content_mime, size, provenance, version)]
        )

    def record_fetches(self, partition_key: str, fetched: list[FetchedBlob]) -> list[str]:
        """Many fetches in one transaction: per-item commits cost more than the fetch at thousands of items.

        A compare-and-set per item: the fetch is recorded only while the item is still due (pending or
        error) at the version that was fetched. Otherwise a listing has seen a newer version since (or
        another run fetched or synced it), and recording these older bytes over it would have them
        ingested as current; such fetches are left out. Returns their external ids.
        """
        if not fetched:
            return []
        superseded: list[str] = []
        with self._write() as conn:
            account = self._account(conn, partition_key)
            self._check_fence(conn, account)
            rows = self._lock_items(conn, account, [blob.external_id for blob in fetched])
            for blob in fetched:
                row = rows.get(blob.external_id)
                if row is None:
                    raise ItemNotFound(partition_key, blob.external_id)
                if row.status not in ("pending", "error") or row.version != blob.version:
                    superseded.append(blob.external_id)
                    continue
                self._update_item(
                    conn,
                    account,
                    blob.external_id,
                    status="fetched",
                    blob_sha256=blob.blob_sha256,
                    content_mime=blob.content_mime,
                    content_size=blob.size,
                    provenance=dict(blob.provenance),
                    fetched_version=blob.version,
                    skip_reason=None,
                    skip_detail=None,
                    last_error=None,
                )
        return superseded

    def record_moves(
        self,
        partition_key: str,
        items: list[RemoteItem],
        shown: Callable[[RemoteItem], tuple[str, list[str]]] | None = None,
    ) -> None:
        """Renamed or moved upstream with the same content (or its owner changed): new name, paths and
        ownership on the item, title and paths on its live vault document; no download and no new
        version; logs `item_moved`.

        `shown` gives the title and paths the document shows for an item, as ingestion writes them
        (names made safe to display); by default the upstream ones. An empty title keeps the old one.
        """
        if not items:
            return
        d = t.vault_documents
        now = t.utcnow()
        with self._write() as conn:
            account = self._account(conn, partition_key)
            self._check_fence(conn, account)
            for item in items:
                self._update_item(
                    conn,
                    account,
                    item.external_id,
                    name=item.name,
                    paths=list(item.paths),
                    owned_by_account=item.owned_by_account,
                )
                title, paths = shown(item) if shown is not None else (item.name, list(item.paths))
                document = dict(path=paths[0] if paths else title, paths=paths, updated_at=now)
                conn.execute(
                    sa.update(d)
                    .where(d.c.account_id == account.id)
                    .where(d.c.external_id == item.external_id)
                    .where(d.c.deleted_at.is_(None))
                    .values(**document, **({"title": title} if title else {}))
                )
                self._log(conn, "item_moved", account, {"external_id": item.external_id})

    def record_skip(self, partition_key: str, external_id: str, reason: str, detail: str | None = None) -> bool:
        """Status `skipped` with a reason; logs `item_skipped` only when the item was not already
        skipped for this reason (a listing resetting it to pending in between does not count).

        An item that had a live vault document (gone between listing and fetch, no longer readable,
        now excluded by policy) takes it out of the vault too, with the same reason.
        """
        reason = str(reason)  # SkipReason is a StrEnum; store its plain value
        with self._write() as conn:
            account = self._account(conn, partition_key)
            self._check_fence(conn, account)
            before = conn.execute(
                sa.select(i.c.status, i.c.skip_reason)
                .where(i.c.account_id == account.id)
                .where(i.c.external_id == external_id)
                .with_for_update()
            ).one_or_none()
            if before is None:
                raise ItemNotFound(partition_key, external_id)
            changed = not (before.skip_reason == reason and before.status in ("skipped", "pending"))
            self._update_item(conn, account, external_id, status="skipped", skip_reason=reason, skip_detail=detail)
            self._retire_document(conn, account, external_id, reason)
            if changed:
                context = {"external_id": external_id, "reason": reason, "detail": detail}
                self._log(conn, "item_skipped", account, context)
        return changed

    def record_error(self, partition_key: str, external_id: str, detail: str) -> None:
        """Status `error` (retried on the next sync); the detail must not contain secrets."""
        with self._write() as conn:
            account = self._account(conn, partition_key)
            self._check_fence(conn, account)
            self._update_item(
                conn,
                account,
                external_id,
                status="error",
                last_error=detail,
                skip_reason=None,
                skip_detail=None,
            )
