"""The sandbox's log of the requests it served, for tests and benches to assert on."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    status: int = 0  # 0 while unanswered, and for a request whose client hung up first
    user: str | None = None
    fault: str | None = None  # the FaultKind that answered it, if one did
    at: float = field(default_factory=time.monotonic)  # when it arrived, for request rates


class RequestLogMixin:
    """SandboxState's request log; SandboxState creates the attributes declared here."""

    lock: threading.RLock
    requests: list[RequestRecord]

    def record_request(self, method: str, path: str, query: dict[str, str]) -> RequestRecord:
        rec = RequestRecord(method, path, query)
        with self.lock:
            self.requests.append(rec)
        return rec

    def reset_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    def requests_to(self, path_regex: str, method: str | None = None) -> list[RequestRecord]:
        """Recorded requests whose path matches (re.search), optionally of one method."""
        pattern = re.compile(path_regex)
        with self.lock:
            return [
                r for r in self.requests if pattern.search(r.path) and (method is None or r.method == method.upper())
            ]
