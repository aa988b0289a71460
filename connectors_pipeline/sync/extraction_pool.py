"""Text extraction for many items, in order, in worker processes that bound each file's time and memory.

Extraction parses hostile input and is CPU-bound (the GIL serialises threads), so it never runs in the
sync's own process: a file that hangs a parser or balloons its memory costs one killed worker and
becomes a skip with the reason, never a stuck or crashed sync.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from multiprocessing.connection import wait
from pathlib import Path

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract import DEFAULT_LIMITS, Extracted, ExtractionLimits
from connectors_pipeline.extract.worker import READY
from connectors_pipeline.extract.worker_process import ExtractionWorker, WorkerFault
from connectors_pipeline.settings import Settings

# Below this many items one worker keeps up with the vault writes; above, several share the work.
POOL_THRESHOLD = 100
# Jobs in flight or finished ahead of the consumer, so extracted texts never pile up in memory when
# vault writes are slower.
WINDOW = 64
# Idle workers kept for the next call (the next account of the run): starting one costs ~0.3 s of imports.
MAX_IDLE = 4
_STARTUP_SECONDS = 120.0  # a loaded machine may be slow to start one; none at all is a fault

Job = tuple[Path, str, str | None]  # blob path, content MIME type, upstream name
Result = Extracted | ExtractionError

_idle: list[ExtractionWorker] = []
_idle_lock = threading.Lock()


def configured_limits(settings: Settings | None = None) -> ExtractionLimits:
    """The extraction limits with the deadline and memory budget from CONNECTORS_EXTRACTION_*."""
    settings = settings or Settings.from_env()
    limits = DEFAULT_LIMITS
    if settings.extraction_timeout_seconds is not None:
        limits = replace(limits, max_seconds=settings.extraction_timeout_seconds)
    if settings.extraction_memory_mib is not None:
        limits = replace(limits, max_memory_bytes=int(settings.extraction_memory_mib * 1024 * 1024))
    return limits


def _checkout(count: int) -> list[ExtractionWorker]:
    with _idle_lock:
        taken = [_idle.pop() for _ in range(min(count, len(_idle)))]
    for worker in taken:
        if not worker.alive:
            worker.kill()  # reaps it
    live = [worker for worker in taken if worker.alive]
    return live + [ExtractionWorker() for _ in range(count - len(live))]


def _checkin(workers: list[ExtractionWorker]) -> None:
    with _idle_lock:
        room = max(0, MAX_IDLE - len(_idle))
        _idle.extend(workers[:room])
    for worker in workers[room:]:
        worker.stop()


@atexit.register
def _stop_idle() -> None:
    with _idle_lock:
        workers = list(_idle)
        _idle.clear()
    for worker in workers:
        worker.stop()


class _Run:
    """The jobs of one extract_all call and the workers running them."""

    def __init__(self, jobs: list[Job], crew: list[ExtractionWorker], limits: ExtractionLimits):
        self.jobs, self.crew, self.limits = jobs, crew, limits
        self.running: dict[ExtractionWorker, int] = {}
        self.done: dict[int, Result] = {}
        self.submitted = 0

    def hand_out(self, consumed: int) -> None:
        for worker in self.crew:
            if self.submitted == len(self.jobs) or self.submitted - consumed >= WINDOW:
                break
            if worker.ready and worker not in self.running:
                try:
                    worker.send(*self.jobs[self.submitted], self.limits)
                except OSError:  # it died while idle; replaced below, and the job goes to another
                    worker.kill()
                    continue
                self.running[worker] = self.submitted
                self.submitted += 1
        self._replace_dead()

    def collect(self) -> None:
        """Wait for the next answer, worker start or deadline, and act on whatever happened."""
        deadlines = [worker.deadline for worker in self.running if worker.deadline is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else _STARTUP_SECONDS
        waiting = {worker.connection: worker for worker in self.crew if worker in self.running or not worker.ready}
        arrived = wait(list(waiting), timeout)
        if not arrived and not self.running:
            raise WorkerFault(f"no extraction worker started within {_STARTUP_SECONDS:g} s")
        for connection in arrived:
            worker = waiting[connection]
            reply = worker.receive()
            if worker.ready:
                self.done[self.running.pop(worker)] = worker.result(reply)
            elif reply == READY:
                worker.ready = True
            else:
                worker.kill()
                raise WorkerFault("an extraction worker failed to start (its error is in the log)")
        now = time.monotonic()
        for worker in [w for w in self.running if w.deadline is not None and w.deadline <= now]:
            self.done[self.running.pop(worker)] = worker.timed_out(self.limits.max_seconds)
        self._replace_dead()

    def _replace_dead(self) -> None:
        """Killed, crashed or retired workers make way for fresh ones while jobs remain."""
        more = self.submitted < len(self.jobs)
        crew = []
        for worker in self.crew:
            if worker.alive or worker in self.running:
                crew.append(worker)
            elif more:
                crew.append(ExtractionWorker())
        self.crew = crew

    def close(self) -> None:
        """Idle workers go back for the next call; busy ones (the consumer stopped early) are killed, as
        their answers would never be read."""
        for worker in self.running:
            worker.kill()
        _checkin([worker for worker in self.crew if worker.alive and worker not in self.running])


def extract_all(
    jobs: list[Job], workers: int | None = None, limits: ExtractionLimits | None = None
) -> Iterator[Result]:
    """Results in the order of `jobs`, at most WINDOW of them extracted ahead of the consumer. A file that
    breaks a limit (time, memory, size) or crashes its worker yields an ExtractionError saying so."""
    if not jobs:
        return
    size = 1 if len(jobs) < POOL_THRESHOLD else (workers or min(os.cpu_count() or 1, 4))
    run = _Run(jobs, _checkout(size), limits or configured_limits())
    consumed = 0
    try:
        while consumed < len(jobs):
            if consumed in run.done:
                yield run.done.pop(consumed)
                consumed += 1
                continue
            run.hand_out(consumed)
            run.collect()
    finally:
        run.close()
