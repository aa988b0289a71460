"""Text extraction for many items on every core, in order; extraction is CPU-bound and the GIL serialises threads."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract import Extracted, extract

# Below this many items, starting worker processes costs more than it saves.
POOL_THRESHOLD = 32

Job = tuple[Path, str, str | None]  # blob path, content MIME type, upstream name


def _extract_one(job: Job) -> Extracted | ExtractionError:
    path, mime_type, name = job
    try:
        return extract(path, mime_type, name=name)
    except ExtractionError as exc:  # a per-item outcome, not a failure of the batch
        return exc


def extract_all(jobs: list[Job], workers: int | None = None) -> Iterator[Extracted | ExtractionError]:
    """Results in the order of `jobs`. Workers are spawned, not forked: the calling process has threads
    (Dagster, HTTP clients) whose locks a fork could copy in a held state."""
    workers = workers or min(os.cpu_count() or 1, 4)
    if len(jobs) < POOL_THRESHOLD or workers == 1:
        yield from map(_extract_one, jobs)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(_extract_one, jobs, chunksize=8)
