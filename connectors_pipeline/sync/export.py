"""Step 2: fetch (download or export) the pending items into the blob store, several at a time.

Every due item, or at most CONNECTORS_MAX_FILES_PER_JOB of them: the rest stay pending, the change
sensor starts another run for them, and that run carries on where this one stopped. The cursor can
still be committed after a partial job, because what it leaves is recorded in the store, not only
in the change feed.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from connectors_pipeline.domain.errors import (
    AuthRevokedError,
    ConnectorError,
    ExportTooLargeError,
    NotFoundError,
    UnsupportedContentError,
)
from connectors_pipeline.domain.items import Provenance, RemoteItem, SkipReason
from connectors_pipeline.providers.base import ExportPlan, Provider
from connectors_pipeline.resilience import CircuitOpenError
from connectors_pipeline.store import FetchedBlob, ItemRecord
from connectors_pipeline.store.blobs import BlobRef, BlobStore
from connectors_pipeline.sync.services import SyncServices

FETCH_STATUSES = frozenset({"pending", "error"})
FLUSH_EVERY = 100  # fetched items recorded per transaction; a crash re-fetches at most this many
ABANDONED_PART_SECONDS = 3600.0

# A provider error that says "this item can never be fetched as it is" becomes a skip, not a failure.
SKIP_FOR_ERROR: dict[type[ConnectorError], SkipReason] = {
    ExportTooLargeError: SkipReason.EXPORT_TOO_LARGE,
    NotFoundError: SkipReason.NOT_FOUND,
    UnsupportedContentError: SkipReason.UNSUPPORTED_TYPE,
}


@dataclass
class ExportOutcome:
    fetched: int = 0
    bytes: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    deferred: int = 0  # due items left pending for a later run by the files-per-job quota
    seconds: float = 0.0


def item_from_record(provider: str, record: ItemRecord) -> RemoteItem:
    return RemoteItem(
        provider=provider,
        external_id=record.external_id,
        name=record.name,
        mime_type=record.mime_type,
        paths=tuple(record.paths),
        size=record.size,
        modified_time=record.modified_time,
        version=record.version,
        md5=record.md5,
        trashed=record.trashed,
        web_url=record.web_url,
        owned_by_account=record.owned_by_account,
    )


def this_jobs_share(due: list[ItemRecord], max_files: int | None) -> list[ItemRecord]:
    """The items this job fetches: all, or the first `max_files` with new and changed items before
    retries of failed ones, so a few items that keep failing cannot take every slot of every job."""
    if max_files is None or len(due) <= max_files:
        return due
    return sorted(due, key=lambda record: record.status != "pending")[:max_files]


def sweep_abandoned_parts(blobs: BlobStore, older_than: float = ABANDONED_PART_SECONDS) -> int:
    """Remove the blob store's temp files that a killed run left behind; returns how many.

    A fetch streams into a local temp file and renames (or uploads) it into place; a process killed
    meanwhile leaves it. The temp folder is local for every blob URL, so this works for all of them.
    A live fetch writes to its file at least every read timeout, so one untouched for an hour is
    abandoned (and were it not, its rename would fail and the item would be fetched again next sync).
    """
    cutoff, removed = time.time() - older_than, 0
    for part in blobs.parts_dir.glob("blob-*.part"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # its writer finished (or another sweep took it) meanwhile
    return removed


def _fetch_one(
    services: SyncServices, provider: Provider, item: RemoteItem, plan: ExportPlan
) -> tuple[BlobRef, Provenance]:
    with services.blobs.writer() as out:
        provenance = provider.fetch(item, plan, out)
    return out.ref, provenance


def _record_failure(
    services: SyncServices, partition_key: str, item: RemoteItem, exc: ConnectorError, outcome: ExportOutcome
) -> None:
    reason = SKIP_FOR_ERROR.get(type(exc))
    if reason is None:
        # Transient or unknown: the item stays due and the next sync tries again.
        services.store.record_error(partition_key, item.external_id, f"{type(exc).__name__}: {exc}")
        outcome.errors += 1
    else:
        services.store.record_skip(partition_key, item.external_id, reason.value, str(exc))
        outcome.skipped[reason.value] += 1


def export_pending(services: SyncServices, partition_key: str) -> ExportOutcome:
    started = time.monotonic()
    store, policy = services.store, services.policy
    sweep_abandoned_parts(services.blobs)
    services.blobs.sweep_cache()  # a remote store's local copies that no recent run used
    account = store.get_account(partition_key)
    plan = services.export_plan(account.provider)
    due = list(store.load_items(partition_key, statuses=FETCH_STATUSES).values())
    share = this_jobs_share(due, services.quotas.max_files_per_job)
    pending = [item_from_record(account.provider, record) for record in share]
    outcome = ExportOutcome(deferred=len(due) - len(share))
    # One provider for all threads: it keeps a connection per thread and refreshes the token once for all.
    provider = services.provider(partition_key)
    done: list[FetchedBlob] = []
    with ThreadPoolExecutor(max_workers=services.fetch_workers, thread_name_prefix="fetch") as pool:
        futures = {pool.submit(_fetch_one, services, provider, item, plan): item for item in pending}
        try:
            for future in as_completed(futures):
                item = futures[future]
                try:
                    ref, provenance = future.result()
                except (AuthRevokedError, CircuitOpenError):
                    # Consent gone, or the account's breaker open: the other items would fail alike.
                    # The step fails for the account (an open breaker becomes a Dagster retry after its wait).
                    for other in futures:
                        other.cancel()
                    raise
                except ConnectorError as exc:
                    _record_failure(services, partition_key, item, exc, outcome)
                    continue
                exported = provenance.method == "export"
                verdict = policy.allows_content(provenance.content_mime, ref.size, exported=exported)
                if verdict is not None:
                    store.record_skip(partition_key, item.external_id, verdict.value, provenance.content_mime)
                    outcome.skipped[verdict.value] += 1
                    continue
                done.append(
                    FetchedBlob(
                        item.external_id,
                        ref.sha256,
                        provenance.content_mime,
                        ref.size,
                        provenance.as_dict(),
                        item.version,
                    )
                )
                outcome.fetched += 1
                outcome.bytes += ref.size
                if len(done) >= FLUSH_EVERY:
                    store.record_fetches(partition_key, done)
                    done = []
        finally:
            # Whatever landed in the blob store before a failure is recorded, so it is not fetched again.
            store.record_fetches(partition_key, done)
    outcome.seconds = time.monotonic() - started
    return outcome
