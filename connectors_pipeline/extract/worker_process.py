"""One extraction worker process seen from its parent: start it, hand it a job, read the answer, kill it.

A plain subprocess rather than multiprocessing's spawn: spawn re-imports the parent's __main__ in the
child (the Dagster or pytest entry point, seconds of imports), while this child imports only the
extractors. Popen execs without running Python between fork and exec, so it is safe in a process that
has threads.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pathlib
import signal
import subprocess
import sys
import time
from dataclasses import asdict

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract.model import Extracted, ExtractionLimits

_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[2]  # the folder holding connectors_pipeline/
_STOP_SECONDS = 5.0


def _child_env() -> dict[str, str]:
    """The parent's environment, with the package importable even when it is not installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
    return env


class WorkerFault(RuntimeError):
    """The worker could not do its job for reasons that are not the file's: it did not start, or the
    blob it was given is missing. The sync fails (and is retried); no item is skipped for this."""


class ExtractionWorker:
    def __init__(self) -> None:
        ours, theirs = multiprocessing.Pipe()  # a Unix socket pair
        self.process = subprocess.Popen(
            [sys.executable, "-m", "connectors_pipeline.extract.worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=_child_env(),
        )
        theirs.close()
        self.connection = ours
        self.ready = False  # True once the child has imported the extractors and said so
        self.deadline: float | None = None  # while a job runs: when it is killed
        self._max_reply_bytes = 0

    def send(self, path: pathlib.Path, mime_type: str, name: str | None, limits: ExtractionLimits) -> None:
        job = {"path": str(path), "mime_type": mime_type, "name": name, "limits": asdict(limits)}
        self.connection.send_bytes(json.dumps(job).encode())
        self.deadline = time.monotonic() + limits.max_seconds
        # JSON escapes a character in at most 12 bytes (a surrogate pair); anything longer is not an answer.
        self._max_reply_bytes = 12 * limits.max_text_chars + 1024 * 1024

    def receive(self) -> dict | None:
        """The child's next message; None when it died or sent something that is not one."""
        try:
            message = self.connection.recv_bytes(self._max_reply_bytes or None)
            reply = json.loads(message)
        except (EOFError, OSError, ValueError):
            return None
        return reply if isinstance(reply, dict) else None

    def result(self, reply: dict | None) -> Extracted | ExtractionError:
        """The outcome of the job in flight, from its reply (None: no reply, the process died)."""
        self.deadline = None
        if reply is None:
            return ExtractionError(f"extraction crashed: {self._death()}")
        if reply.get("retire"):
            self.stop()
        if "fault" in reply:
            raise WorkerFault(str(reply["fault"]))
        if "extracted" in reply:
            return Extracted(**reply["extracted"])
        return ExtractionError(str(reply.get("error")))

    def timed_out(self, seconds: float) -> ExtractionError:
        self.kill()
        return ExtractionError(f"extraction timed out after {seconds:g} s")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def _death(self) -> str:
        """How the process ended, e.g. 'the worker was killed by SIGSEGV'."""
        self.kill()
        code = self.process.returncode
        if code is not None and code < 0:
            try:
                return f"the worker was killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"the worker was killed by signal {-code}"
        return f"the worker exited with status {code}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.connection.close()

    def stop(self) -> None:
        """Closing the socket is the child's signal to exit; it is killed if it does not."""
        self.connection.close()
        try:
            self.process.wait(timeout=_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
