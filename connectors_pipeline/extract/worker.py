"""The extraction worker process: extracts one file at a time for its parent, under a memory cap.

Run as `python -m connectors_pipeline.extract.worker <socket fd>` by extract/worker_process.py, which
also owns the wall-clock deadline (it kills this process). Messages are JSON, not pickle, both ways:
this process parses hostile files, and a parser exploit here must not turn into code execution in the
parent through a crafted pickle.
"""

from __future__ import annotations

import errno
import json
import math
import pathlib
import signal
import sys
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract.dispatch import extract
from connectors_pipeline.extract.model import ExtractionLimits

try:
    import resource
except ImportError:  # Windows: no rlimits, so no memory cap; the parent's deadline still applies
    resource = None  # type: ignore[assignment]

READY = {"ready": True}
_MIB = 1024 * 1024
NEAR_BUDGET = 0.85  # a parse error this close to the memory budget was most likely a failed allocation
_MAX_MESSAGE_CHARS = 2000  # a skip reason, not a dump of whatever a parser put in its exception


@dataclass(frozen=True)
class _AddressSpace:
    size: int  # bytes mapped now
    peak: int  # the most ever mapped by this process


def _address_space() -> _AddressSpace | None:
    """From /proc/self/status; None without procfs (macOS), where the cap is left off rather than guessed."""
    try:
        with open("/proc/self/status", "rb") as status:
            fields = dict(line.split(b":", 1) for line in status.read().splitlines() if b":" in line)
        return _AddressSpace(int(fields[b"VmSize"].split()[0]) * 1024, int(fields[b"VmPeak"].split()[0]) * 1024)
    except (OSError, KeyError, ValueError, IndexError):
        return None


def _set_soft_limit(kind: int, soft: int) -> None:
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(kind, (soft, hard))


def _cap(limits: ExtractionLimits, before: _AddressSpace | None) -> None:
    """Address space: what the idle worker maps plus the budget, so a bomb meets a failed allocation
    instead of the OOM killer. CPU: twice the deadline, a backstop that ends a runaway job even if the
    parent that should kill it is gone."""
    if resource is None:
        return
    if before is not None:
        _set_soft_limit(resource.RLIMIT_AS, before.size + limits.max_memory_bytes)
    used = resource.getrusage(resource.RUSAGE_SELF)
    _set_soft_limit(resource.RLIMIT_CPU, math.ceil(used.ru_utime + used.ru_stime + 2 * limits.max_seconds) + 1)


def _uncap() -> None:
    if resource is None:
        return
    for kind in (resource.RLIMIT_AS, resource.RLIMIT_CPU):
        _, hard = resource.getrlimit(kind)
        resource.setrlimit(kind, (hard, hard))


def _high_water(before: _AddressSpace | None) -> int:
    """How far this job pushed the address space above where it started; 0 when that is unknowable
    (the process peaked higher before, which a retirement rule in answer() keeps from mattering)."""
    after = _address_space()
    if before is None or after is None or after.peak <= before.peak:
        return 0
    return after.peak - before.size


def _caused_by_memory_error(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, MemoryError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _extract(job: dict, limits: ExtractionLimits) -> dict:
    try:
        extracted = extract(pathlib.Path(job["path"]), job["mime_type"], name=job["name"], limits=limits)
        return {"extracted": asdict(extracted)}
    except ExtractionError as exc:
        return {"error": str(exc), "memory_error": _caused_by_memory_error(exc)}
    except MemoryError:
        return {"error": "out of memory", "memory_error": True}
    except OSError as exc:
        if exc.errno == errno.ENOMEM:
            return {"error": "out of memory", "memory_error": True}
        # The blob is missing or unreadable: a fault of the pipeline, not of the file.
        return {"fault": f"{type(exc).__name__}: {exc}"}
    except Exception as exc:
        # A parser tripping over hostile input in a way it does not anticipate: skip the file, saying
        # what went wrong, rather than fail the whole sync.
        return {"error": f"extractor failed: {type(exc).__name__}: {exc}", "memory_error": False}


def answer(job: dict) -> dict:
    """The reply to one job. `retire` asks the parent for a fresh worker: after running out of memory
    (the heap may be fragmented, a library's state half-built), or after a job that used over half the
    budget, so the next job's high water mark can be measured again."""
    limits = ExtractionLimits(**job["limits"])
    before = _address_space()
    _cap(limits, before)
    try:
        reply = _extract(job, limits)
    finally:
        _uncap()
    high_water = _high_water(before)
    # Native code (lxml, zlib) often reports a failed allocation as a parse error, so a failure close to
    # the budget counts as running out of memory too. "Close" is most of it: the high-water mark is the
    # process's peak, which a worker's first large file raises by its parser's own working set too.
    out_of_memory = "error" in reply and (
        reply.pop("memory_error") or high_water >= NEAR_BUDGET * limits.max_memory_bytes
    )
    if out_of_memory:
        reply["error"] = f"extraction exceeded the {limits.max_memory_bytes / _MIB:g} MiB memory limit"
    elif "error" in reply:
        # Blob paths say nothing about the file and everything about the machine.
        reply["error"] = reply["error"].replace(job["path"], "<file>")[:_MAX_MESSAGE_CHARS]
    if out_of_memory or high_water > limits.max_memory_bytes / 2:
        reply["retire"] = True
    return reply


def serve(connection: Connection) -> None:
    connection.send_bytes(json.dumps(READY).encode())
    while True:
        try:
            job = json.loads(connection.recv_bytes())
        except EOFError:
            return  # the parent is done with this worker, or gone
        reply = answer(job)
        try:
            connection.send_bytes(json.dumps(reply).encode())
        except OSError:
            return  # the parent stopped waiting (it killed the job or exited): nobody to answer
        if reply.get("retire"):
            return


def main() -> None:
    # Ctrl-C reaches the whole process group; the parent decides when workers stop (by closing the socket).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if resource is not None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not dump document contents to disk
    serve(Connection(int(sys.argv[1])))


if __name__ == "__main__":
    main()
