"""Text extraction for many items on every core, in order; extraction is CPU-bound and the GIL serialises threads."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from pathlib import Path

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract import Extracted, extract

# A spawned worker imports the project (~1-2 s of CPU); below this many items that costs more than it saves.
POOL_THRESHOLD = 100
# Jobs in flight at once, so extracted texts never pile up in memory when vault writes are slower.
WINDOW = 64

Job = tuple[Path, str, str | None]  # blob path, content MIME type, upstream name

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _extract_one(job: Job) -> Extracted | ExtractionError:
    path, mime_type, name = job
    try:
        return extract(path, mime_type, name=name)
    except ExtractionError as exc:  # a per-item outcome, not a failure of the batch
        return exc


def _shared_pool(workers: int) -> ProcessPoolExecutor:
    """One pool per process, reused by every account of a run. Spawned, not forked: the process has
    threads (Dagster, HTTP clients) whose locks a fork could copy in a held state."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
            atexit.register(_pool.shutdown, cancel_futures=True)
        return _pool


def extract_all(jobs: list[Job], workers: int | None = None) -> Iterator[Extracted | ExtractionError]:
    """Results in the order of `jobs`, at most WINDOW of them extracted ahead of the consumer."""
    workers = workers or min(os.cpu_count() or 1, 4)
    if len(jobs) < POOL_THRESHOLD or workers == 1:
        yield from map(_extract_one, jobs)
        return
    pool, pending = _shared_pool(workers), iter(jobs)
    while window := list(islice(pending, WINDOW)):
        yield from pool.map(_extract_one, window, chunksize=4)
