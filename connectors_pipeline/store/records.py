"""Immutable records the store returns, and the store's lookup errors. None of them carries a token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors_pipeline.domain.errors import ConnectorError


class AccountNotFound(ConnectorError, LookupError):
    """No account has this partition key."""

    def __init__(self, partition_key: str):
        super().__init__(f"no connector account with partition key {partition_key!r}")
        self.partition_key = partition_key


class ItemNotFound(ConnectorError, LookupError):
    """The account has no connector item with this external id (save_remote_items it first)."""

    def __init__(self, partition_key: str, external_id: str):
        super().__init__(f"account {partition_key!r} has no item {external_id!r}")
        self.partition_key = partition_key
        self.external_id = external_id


class LeaseLost(ConnectorError):
    """A run wrote to an account whose sync lease another run has taken over (after it expired):
    the write was refused, and the account is left to the run that holds the lease now."""

    def __init__(self, partition_key: str, run: str, holder: str | None):
        now = f"run {holder} holds it now" if holder else "nobody holds it now"
        super().__init__(f"run {run} no longer holds the sync lease of account {partition_key} ({now})")
        self.partition_key = partition_key
        self.run = run
        self.holder = holder


@dataclass(frozen=True)
class AccountRecord:
    partition_key: str
    tenant_id: str
    user_id: str
    provider: str
    external_account_id: str
    email: str | None
    display_name: str
    status: str
    last_sync_at: datetime | None
    last_error: str | None
    metadata: dict[str, Any]
    created_at: datetime
    has_credentials: bool = False  # whether a ciphertext is stored; the ciphertext itself never leaves


@dataclass(frozen=True)
class SourceRecord:
    id: int
    partition_key: str
    kind: str
    external_id: str
    name: str
    recursive: bool
    options: dict[str, Any]
    enabled: bool


@dataclass(frozen=True)
class ItemRecord:
    """Last seen remote state of one item plus what the pipeline did with it."""

    partition_key: str
    external_id: str
    name: str
    paths: tuple[str, ...]
    mime_type: str
    size: int | None
    modified_time: datetime | None
    version: str | None
    md5: str | None
    trashed: bool
    status: str
    skip_reason: str | None
    skip_detail: str | None
    last_error: str | None
    blob_sha256: str | None
    content_mime: str | None
    content_size: int | None
    provenance: dict[str, Any] | None
    fetched_version: str | None
    synced_version: str | None
    vault_document_id: int | None
    updated_at: datetime
    web_url: str | None = None
    owned_by_account: bool = True


@dataclass(frozen=True)
class JobRecord:
    id: int
    partition_key: str | None
    provider: str | None  # of the job's account; None for account-less (system) jobs
    dagster_run_id: str | None
    job_type: str
    status: str
    attempts: int
    counts: dict[str, Any]
    error: str | None
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class ActivityRecord:
    id: int
    tenant_id: str | None
    user_id: str | None
    partition_key: str | None
    provider: str | None  # of the event's account; None for account-less events
    event: str
    context: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    title: str
    path: str
    snippet: str  # matched terms wrapped in ** (Markdown bold) on both dialects
    score: float  # higher is better; comparable within one result list only
    provider: str
    partition_key: str


@dataclass(frozen=True)
class VaultDocument:
    id: int
    partition_key: str
    provider: str
    external_id: str
    title: str
    path: str
    paths: tuple[str, ...]
    mime_type: str
    content_mime: str
    size_bytes: int | None
    text: str
    content_hash: str
    blob_sha256: str | None
    provider_version: str | None
    modified_time: datetime | None
    provenance: dict[str, Any]
    current_version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    deleted_reason: str | None

    @property
    def is_live(self) -> bool:
        return self.deleted_at is None


@dataclass(frozen=True)
class VaultVersion:
    document_id: int
    version_no: int
    content_hash: str
    text: str
    provider_version: str | None
    provenance: dict[str, Any]
    blob_sha256: str | None
    created_at: datetime


@dataclass(frozen=True)
class VaultDocumentSummary:
    """What the policy check needs to judge a live document, without its text."""

    id: int
    external_id: str
    mime_type: str
    content_mime: str
    size_bytes: int | None


@dataclass(frozen=True)
class FetchedBlob:
    """One item's bytes landed in the blob store (see Store.record_fetches)."""

    external_id: str
    blob_sha256: str
    content_mime: str
    size: int
    provenance: dict[str, Any]
    version: str | None


@dataclass(frozen=True)
class VaultInput:
    """One item's extracted text and metadata, ready for the vault (see Store.record_ingests)."""

    external_id: str
    title: str
    path: str
    paths: list[str]
    mime_type: str
    content_mime: str
    size_bytes: int | None
    text: str
    content_hash: str
    blob_sha256: str | None
    provider_version: str | None
    modified_time: datetime | None
    provenance: dict[str, Any]


@dataclass(frozen=True)
class Coverage:
    """One account's allowed items (upstream, status not skipped or deleted) against its live vault documents."""

    allowed_by_status: dict[str, int]
    uncovered_by_status: dict[str, int]  # allowed items without a live document, by item status
    uncovered_sample: tuple[str, ...]  # external ids of the first uncovered items, in item order
    live_documents: int

    @property
    def allowed_items(self) -> int:
        return sum(self.allowed_by_status.values())

    @property
    def uncovered(self) -> int:
        return sum(self.uncovered_by_status.values())

    @property
    def covered(self) -> int:
        return self.allowed_items - self.uncovered

    @property
    def documents_without_allowed_item(self) -> int:
        """Live documents whose item is skipped, deleted or missing (find_orphan_documents names them)."""
        return self.live_documents - self.covered
