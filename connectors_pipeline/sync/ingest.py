"""Step 3: extract the text of every fetched item and write it to the vault, in batched transactions."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.domain.items import SkipReason
from connectors_pipeline.extract import Extracted
from connectors_pipeline.extract.names import display_name, display_path
from connectors_pipeline.store import ItemNotFound, ItemRecord, VaultInput
from connectors_pipeline.sync.extraction_pool import extract_all
from connectors_pipeline.sync.services import SyncServices

FLUSH_EVERY = 50  # items written to the vault per transaction (each item still all-or-nothing)


@dataclass
class IngestOutcome:
    outcomes: Counter[str] = field(default_factory=Counter)  # created / updated / unchanged / restored
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def ingested(self) -> int:
        return self.outcomes["created"] + self.outcomes["updated"] + self.outcomes["restored"]


def vault_input(record: ItemRecord, extracted: Extracted) -> VaultInput:
    name = display_name(record.name)
    paths = [display_path(path) for path in record.paths]
    # The item row keeps the upstream name as it is; the document records it when it had to be made safe.
    original = {"original_name": record.name} if name != record.name else {}
    return VaultInput(
        external_id=record.external_id,
        # The upstream name is what a person recognises; an embedded title only helps when there is none.
        title=name or extracted.title or record.external_id,
        path=paths[0] if paths else name,
        paths=paths,
        mime_type=record.mime_type,
        content_mime=record.content_mime or record.mime_type,
        size_bytes=record.content_size if record.content_size is not None else record.size,
        text=extracted.text,
        content_hash=extracted.content_hash,
        blob_sha256=record.blob_sha256,
        provider_version=record.fetched_version,
        modified_time=record.modified_time,
        provenance={**(record.provenance or {}), "extractor": extracted.extractor, **original},
    )


def ingest_fetched(services: SyncServices, partition_key: str) -> IngestOutcome:
    started = time.monotonic()
    store = services.store
    outcome = IngestOutcome()
    fetched = list(store.load_items(partition_key, statuses=("fetched",)).values())
    batch: list[VaultInput] = []

    def flush() -> None:
        try:
            outcome.outcomes.update(store.record_ingests(partition_key, batch))
        except ItemNotFound:
            # Another run removed an item meanwhile: write the rest one by one so one item costs one item.
            for document in batch:
                try:
                    outcome.outcomes.update(store.record_ingests(partition_key, [document]))
                except ItemNotFound:
                    outcome.skipped["item_gone"] += 1
        batch.clear()

    jobs = [(services.blobs.path(r.blob_sha256 or ""), r.content_mime or r.mime_type, r.name) for r in fetched]
    for record, extracted in zip(fetched, extract_all(jobs), strict=True):
        if isinstance(extracted, ExtractionError):
            store.record_skip(partition_key, record.external_id, SkipReason.EXTRACTION_FAILED.value, str(extracted))
            outcome.skipped[SkipReason.EXTRACTION_FAILED.value] += 1
            continue
        batch.append(vault_input(record, extracted))
        if len(batch) >= FLUSH_EVERY:
            flush()
    flush()
    outcome.seconds = time.monotonic() - started
    return outcome
