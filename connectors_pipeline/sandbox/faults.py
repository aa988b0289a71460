"""Faults tests arm on the sandbox: the next matching requests fail with a chosen status."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass


@dataclass
class Fault:
    """Fail the next `times` requests whose path, or path plus `?query`, matches `pattern`."""

    pattern: re.Pattern[str]
    status: int
    reason: str | None
    times: int
    retry_after: float | None
    message: str | None = None


class FaultsMixin:
    """SandboxState's armed faults; SandboxState creates the attributes declared here."""

    lock: threading.RLock
    _faults: list[Fault]

    def inject_fault(
        self,
        path_regex: str,
        status: int,
        reason: str | None = None,
        times: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> Fault:
        """Fail the next `times` requests matching `path_regex` with `status` and a provider-shaped body."""
        fault = Fault(re.compile(path_regex), status, reason, times, retry_after, message)
        with self.lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def take_fault(self, path: str, query: str = "") -> Fault | None:
        """The first armed fault whose pattern matches the path or `path?query`, consuming one use."""
        full = f"{path}?{query}" if query else path
        with self.lock:
            for fault in self._faults:
                if fault.times > 0 and (fault.pattern.search(path) or fault.pattern.search(full)):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
            return None
