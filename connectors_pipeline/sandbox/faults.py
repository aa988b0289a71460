"""Fault rules tests and benches arm on the sandbox: which requests fail, in which way, and how often.

A rule fails requests whose path (or `path?query`) matches its regex, either the next `times` of them
(a script) or each one with probability `rate`, drawn from the rule's own seeded generator so a run is
reproducible. How each kind answers on the wire lives in fault_responses.py.
"""

from __future__ import annotations

import dataclasses
import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    """What a provider does wrong, each answered the way the real one answers (parameters: KIND_SPECS)."""

    HTTP_ERROR = "http_error"  # any status and reason: the escape hatch behind inject_fault
    RATE_LIMIT_429 = "rate_limit_429"  # 429 rateLimitExceeded with Retry-After
    RATE_LIMIT_403 = "rate_limit_403"  # 403 userRateLimitExceeded or rateLimitExceeded
    SERVER_ERROR = "server_error"  # 5xx backendError (or internalError)
    LATENCY = "latency"  # the right answer, late
    TIMEOUT = "timeout"  # no answer for a while: the client's socket times out
    DROP = "drop"  # the head and part of the body, then the connection closes
    EXPIRED_TOKEN = "expired_token"  # 401, and the presented access token really expires
    INVALID_GRANT = "invalid_grant"  # the token endpoint refuses a refresh
    STALE_PAGE_TOKEN = "stale_page_token"  # changes.list refuses its page token
    EXPORT_TOO_LARGE = "export_too_large"  # files.export: 403 exportSizeLimitExceeded


@dataclass(frozen=True)
class FaultParams:
    """The knobs of every kind; a kind reads only its own (see KIND_SPECS)."""

    status: int | None = None
    reason: str | None = None
    message: str | None = None
    retry_after: float | None = None  # seconds, sent as the Retry-After header when set
    seconds: float = 0.0  # latency: the delay; timeout: how long nothing is answered
    then: str = "close"  # timeout: after the hold, "answer" late or "close" the connection
    keep: float = 0.5  # drop: the share of the body sent before the connection closes


@dataclass(frozen=True)
class KindSpec:
    path: str | None  # the default path regex; None when the caller must name one
    defaults: Mapping[str, Any]  # the parameters the kind takes, with their defaults
    choices: Mapping[str, frozenset[Any]] = dataclasses.field(default_factory=dict)


_DRIVE_API = r"^/drive/"
# Kinds that only Google's APIs have; Notion's API lives under /v1/ (its shapes: notion_faults.py).
GOOGLE_ONLY_KINDS = frozenset({FaultKind.STALE_PAGE_TOKEN, FaultKind.EXPORT_TOO_LARGE, FaultKind.RATE_LIMIT_403})


def aims_at_notion(pattern: str) -> bool:
    """Whether a fault's path regex targets Notion's API (it starts at /v1/)."""
    return pattern.lstrip("^").startswith("/v1/")


KIND_SPECS: dict[FaultKind, KindSpec] = {
    FaultKind.HTTP_ERROR: KindSpec(None, {"status": None, "reason": None, "message": None, "retry_after": None}),
    FaultKind.RATE_LIMIT_429: KindSpec(_DRIVE_API, {"retry_after": 0.1}),
    FaultKind.RATE_LIMIT_403: KindSpec(
        _DRIVE_API,
        {"reason": "userRateLimitExceeded", "retry_after": None},
        {"reason": frozenset({"userRateLimitExceeded", "rateLimitExceeded"})},
    ),
    FaultKind.SERVER_ERROR: KindSpec(
        _DRIVE_API,
        {"status": 503, "reason": "backendError", "retry_after": None},
        # 529 is Notion's service_overload; on /v1/ 502 is an HTML page (notion_faults.py).
        {"status": frozenset({500, 502, 503, 504, 529}), "reason": frozenset({"backendError", "internalError"})},
    ),
    FaultKind.LATENCY: KindSpec(_DRIVE_API, {"seconds": 0.1}),
    FaultKind.TIMEOUT: KindSpec(
        _DRIVE_API, {"seconds": 1.0, "then": "close"}, {"then": frozenset({"answer", "close"})}
    ),
    FaultKind.DROP: KindSpec(_DRIVE_API, {"keep": 0.5}),
    FaultKind.EXPIRED_TOKEN: KindSpec(_DRIVE_API, {}),
    FaultKind.INVALID_GRANT: KindSpec(r"^/token$", {}),
    FaultKind.STALE_PAGE_TOKEN: KindSpec(
        r"^/drive/v3/changes$", {"status": 400}, {"status": frozenset({400, 404, 410})}
    ),
    FaultKind.EXPORT_TOO_LARGE: KindSpec(r"^/drive/v3/files/[^/]+/export$", {}),
}


def fault_params(kind: FaultKind, given: Mapping[str, Any]) -> FaultParams:
    """The kind's defaults overridden by `given`; unknown names and values outside the kind's range fail loudly."""
    spec = KIND_SPECS[kind]
    unknown = set(given) - set(spec.defaults)
    if unknown:
        raise TypeError(f"{kind} takes no parameter {sorted(unknown)}; it takes {sorted(spec.defaults)}")
    values = {**spec.defaults, **given}
    for name, allowed in spec.choices.items():
        if values[name] not in allowed:
            raise ValueError(f"{kind}: {name} must be one of {sorted(allowed)}, not {values[name]!r}")
    if kind is FaultKind.HTTP_ERROR and values["status"] is None:
        raise TypeError("http_error needs a status")
    if values.get("seconds", 0) < 0 or (values.get("retry_after") or 0) < 0:
        raise ValueError(f"{kind}: durations cannot be negative")
    if not 0 <= values.get("keep", 0) <= 1:
        raise ValueError(f"{kind}: keep is a share of the body, between 0 and 1")
    return FaultParams(**values)


@dataclass
class FaultRule:
    """One armed fault, and the handle add_fault returns: its counters say what it did."""

    kind: FaultKind
    pattern: re.Pattern[str]
    params: FaultParams
    rate: float | None  # None: every matching request, until `remaining` runs out
    remaining: int | None  # injections left; None: no limit
    rng: random.Random
    matched: int = 0  # requests the rule applied to
    injected: int = 0  # of which it failed

    def applies_to(self, path: str, full: str, form: Mapping[str, str]) -> bool:
        if not (self.pattern.search(path) or self.pattern.search(full)):
            return False
        # Google answers a bad authorization code differently; this fault is about refreshing.
        return self.kind is not FaultKind.INVALID_GRANT or form.get("grant_type") == "refresh_token"

    def draw(self) -> bool:
        """Whether this request is hit. A rate rule draws once per request it applies to, fired or not,
        so its hits depend only on its seed and the order of those requests, never on other rules."""
        self.matched += 1
        return self.rate is None or self.rng.random() < self.rate


class FaultsMixin:
    """SandboxState's armed faults; SandboxState creates the attributes declared here."""

    lock: threading.RLock
    _faults: list[FaultRule]
    _fault_counts: dict[str, int]

    def add_fault(
        self,
        kind: FaultKind | str,
        path: str | None = None,
        *,
        rate: float | None = None,
        times: int | None = None,
        seed: int = 0,
        **params: Any,
    ) -> FaultRule:
        """Fail requests matching `path` (the kind's default when None) the way `kind` fails.

        Without `rate`, the next `times` matching requests fail (1 when not given). With `rate`, each
        matching request fails with that probability, from a generator seeded by `seed`, at most
        `times` times. Rules are tried in the order added; the first that fires answers the request.
        """
        kind = FaultKind(kind)
        pattern = path if path is not None else KIND_SPECS[kind].path
        if pattern is None:
            raise TypeError(f"{kind} needs a path regex")
        if kind in GOOGLE_ONLY_KINDS and aims_at_notion(pattern):
            raise ValueError(f"{kind} is a Google failure with no Notion counterpart; it cannot aim at {pattern!r}")
        if rate is not None and not 0 <= rate <= 1:
            raise ValueError("rate is a probability, between 0 and 1")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        rule = FaultRule(
            kind=kind,
            pattern=re.compile(pattern),
            params=fault_params(kind, params),
            rate=rate,
            remaining=times if times is not None or rate is not None else 1,
            # Seeded by kind and path too, so two rate rules sharing the default seed do not fire in lockstep.
            rng=random.Random(f"{seed}:{kind}:{pattern}"),
        )
        with self.lock:
            self._faults.append(rule)
            self._fault_counts.setdefault(kind.value, 0)
        return rule

    def inject_fault(
        self,
        path_regex: str,
        status: int,
        reason: str | None = None,
        times: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> FaultRule:
        """Fail the next `times` requests matching `path_regex` with `status` and a provider-shaped body."""
        return self.add_fault(
            FaultKind.HTTP_ERROR,
            path_regex,
            times=times,
            status=status,
            reason=reason,
            retry_after=retry_after,
            message=message,
        )

    def clear_faults(self) -> None:
        """Disarm every rule and forget the counts: back to a sandbox that never fails."""
        with self.lock:
            self._faults.clear()
            self._fault_counts.clear()

    def fault_counts(self) -> dict[str, int]:
        """Kind -> requests it was injected into since the last clear, for every kind armed since then."""
        with self.lock:
            return dict(self._fault_counts)

    def take_fault(self, path: str, query: str = "", form: Mapping[str, str] | None = None) -> FaultRule | None:
        """The rule that fails this request, if any, counted as injected; a used-up rule is disarmed."""
        full = f"{path}?{query}" if query else path
        chosen: FaultRule | None = None
        with self.lock:
            for rule in self._faults:
                if rule.applies_to(path, full, form or {}) and rule.draw() and chosen is None:
                    chosen = rule
            if chosen is None:
                return None
            chosen.injected += 1
            self._fault_counts[chosen.kind.value] += 1
            if chosen.remaining is not None:
                chosen.remaining -= 1
                if chosen.remaining == 0:
                    self._faults.remove(chosen)
            return chosen
