"""One readable, terminal-safe line per activity-log event (`connectors activity`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from connectors_pipeline.cli.display import shown
from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.domain.items import RemovalReason, SkipReason
from connectors_pipeline.providers.registry import provider_info
from connectors_pipeline.store import ActivityRecord

MAX_TEXT = 160  # longer upstream text (errors, skip details) is cut so one event stays one line
MAX_TITLE = 100

SYNC_MODES = {"initial": "initial sync", "incremental": "incremental sync", "reconcile": "reconciliation"}

REASONS: dict[str, str] = {
    SkipReason.PROVIDER_DISABLED: "provider disabled by policy",
    SkipReason.FILE_TYPE_NOT_ALLOWED: "file type not allowed by policy",
    SkipReason.TOO_LARGE: "larger than the policy allows",
    SkipReason.EXPORT_FORMAT_NOT_ALLOWED: "export format not allowed by policy",
    SkipReason.UNSUPPORTED_TYPE: "unsupported type",
    SkipReason.EXPORT_TOO_LARGE: "export too large",
    SkipReason.NOT_FOUND: "not found",
    SkipReason.EXTRACTION_FAILED: "text extraction failed",
    SkipReason.TRASHED: "trashed",
    RemovalReason.DELETED: "deleted upstream",
    RemovalReason.ACCESS_LOST: "access lost",
    RemovalReason.MOVED_OUT_OF_SCOPE: "moved out of scope",
    # why a sync was scheduled or a snapshot replaced the change feed
    "changes": "changes upstream",
    "stale_cursor": "change cursor expired",
    "scope_changed": "synced folders changed",
    "policy_changed": "policy changed",
    "retry_items": "items to retry",
    "deferred": "work a quota left for later",
}

# Order and wording of a completed sync's counts; the first one shown also names the unit.
SYNC_COUNTS = (
    ("files_imported", "imported"),
    ("files_updated", "updated"),
    ("files_skipped", "skipped"),
    ("files_removed", "removed"),
    ("files_unchanged", "unchanged"),
    ("files_deferred", "left for the next sync (quota)"),
)


def text(value: object, limit: int = MAX_TEXT) -> str:
    """Upstream text, cut to `limit` characters, then escaped."""
    raw = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return shown(raw if len(raw) <= limit else raw[: limit - 1] + "…")


def provider_name(provider: str | None) -> str | None:
    if not provider:
        return None
    try:
        return provider_info(provider).display_name
    except ConfigurationError:
        return text(provider, 50)


def short_run(run_id: object) -> str:
    """The first 8 characters of a Dagster run id, as the Dagster UI shows it."""
    return shown(run_id[:8]) if isinstance(run_id, str) else text(run_id, 20)


def humanise(code: str) -> str:
    words = code.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def reason_text(reason: object) -> str:
    if isinstance(reason, str):
        return REASONS.get(reason) or text(reason.replace("_", " "), 60)
    return text(reason)


def count_phrase(counts: Mapping[str, Any], wording: tuple[tuple[str, str], ...], unit: str | None = "file") -> str:
    """'37 files imported, 4 skipped': non-zero counts only, the unit (if any) named once."""
    parts = []
    for key, verb in wording:
        value = counts.get(key)
        if value in (None, 0):
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            noun = "" if parts or not unit else (f" {unit}" if value == 1 else f" {unit}s")
            parts.append(f"{value}{noun} {verb}")
        else:
            parts.append(f"{text(value, 20)} {verb}")
    return ", ".join(parts)


class _Line:
    """What every message needs of a record: who it is about and its context, read defensively."""

    def __init__(self, record: ActivityRecord, title: str | None):
        self.context = record.context if isinstance(record.context, dict) else {}
        self.provider = provider_name(record.provider or _str(self.context.get("provider")))
        self.title = title

    @property
    def subject(self) -> str:
        return self.provider or "Account"

    def item(self, verb: str) -> str:
        """'Google Drive: "Report.pdf" deleted', the external id when no name is known."""
        if self.title:
            ref = f'"{text(self.title, MAX_TITLE)}"'
        elif self.context.get("external_id") is not None:
            ref = f"item {text(self.context['external_id'])}"
        else:
            ref = "an item"
        return f"{self.provider}: {ref} {verb}" if self.provider else f"{ref[:1].upper()}{ref[1:]} {verb}"

    def mode(self) -> str:
        """'initial sync', 'reconciliation'...; plain 'sync' when the event does not say."""
        mode = self.context.get("mode")
        if not isinstance(mode, str):
            return "sync"
        return SYNC_MODES.get(mode) or f"{text(mode, 30)} sync"

    def run(self) -> str:
        run_id = self.context.get("run_id")
        return f" (run {short_run(run_id)})" if run_id else ""


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _with(detail: str) -> str:
    return f" – {detail}" if detail else ""


def _connect_started(line: _Line) -> str:
    how = line.context.get("mode")
    return f"{line.subject} connection started" + (f" ({text(how, 30)})" if how else "")


def _connect_failed(line: _Line) -> str:
    error = line.context.get("error")
    return f"{line.subject} connection failed" + (f": {text(error)}" if error else "")


def _disconnect_succeeded(line: _Line) -> str:
    revoked = line.context.get("revoked")
    if revoked is True:
        return f"{line.subject} disconnected – access revoked at the provider"
    if revoked is False:
        return f"{line.subject} disconnected – the provider could not be reached to revoke access"
    return f"{line.subject} disconnected"


def _disconnected(line: _Line) -> str:
    status = line.context.get("status")
    shown_status = f" ({text(status, 30)})" if status and status != "disconnected" else ""
    return f"{line.subject} account disconnected{shown_status}"


def _sync_completed(line: _Line) -> str:
    counts = count_phrase(line.context, SYNC_COUNTS)
    return f"{line.subject} {line.mode()} completed – {counts or 'no changes'}"


def _sync_failed(line: _Line) -> str:
    error = line.context.get("error")
    return f"{line.subject} {line.mode()} failed{line.run()}" + (f": {text(error)}" if error else "")


def _sync_skipped(line: _Line) -> str:
    reason = line.context.get("reason")
    return f"{line.subject} sync skipped{line.run()}" + (f": {text(reason)}" if reason else "")


def _job_scheduled(line: _Line) -> str:
    reason = line.context.get("reason")
    return f"{line.subject} {line.mode()} scheduled" + (f" ({reason_text(reason)})" if reason else "")


def _job_retried(line: _Line) -> str:
    attempt = line.context.get("attempt")
    return f"{line.subject} {line.mode()} retried" + (f", attempt {text(attempt, 10)}" if attempt else "") + line.run()


def _cursor_reset(line: _Line) -> str:
    reason = line.context.get("reason")
    return f"{line.subject} change cursor reset" + (f" ({reason_text(reason)})" if reason else "")


def _reconciliation_completed(line: _Line) -> str:
    missed, fallback = line.context.get("missed"), line.context.get("fallback")
    cause = f" ({reason_text(fallback)})" if fallback else ""
    if isinstance(missed, dict):
        wording = tuple((key, text(key, 30).replace("_", " ")) for key in missed)
        found = count_phrase(missed, wording, unit=None)
        summary = f"{found} missed by the change feed" if found else "nothing missed"
        return f"{line.subject} reconciliation completed – {summary}{cause}"
    return f"{line.subject} reconciliation completed" + _with(text(missed) if missed is not None else "") + cause


def _breaker_opened(line: _Line) -> str:
    failures = line.context.get("failures")
    after = f" after {text(failures, 10)} failed requests in a row" if failures is not None else ""
    return f"{line.subject} calls paused{after}; one will probe after the cooldown"


def _versioned(verb: str) -> Callable[[_Line], str]:
    def message(line: _Line) -> str:
        version = line.context.get("version")
        return line.item(verb) + (f" (version {text(version, 10)})" if version is not None else "")

    return message


def _item_deleted(line: _Line) -> str:
    reason = line.context.get("reason")
    return line.item("deleted") + (f" ({reason_text(reason)})" if reason else "")


def _item_skipped(line: _Line) -> str:
    reason, detail = line.context.get("reason"), line.context.get("detail")
    why = ": ".join(part for part in (reason_text(reason) if reason else "", text(detail) if detail else "") if part)
    return line.item("skipped") + (f" ({why})" if why else "")


def _generic(event: str) -> Callable[[_Line], str]:
    """An event this module has no words for yet: its name and its context, still readable and safe."""

    def message(line: _Line) -> str:
        what = shown(humanise(event)) or "Event"
        pairs = ", ".join(f"{text(key, 40)}={text(value, 60)}" for key, value in line.context.items())
        head = f"{line.provider}: {what}" if line.provider else what
        return head + _with(pairs)

    return message


MESSAGES: dict[str, Callable[[_Line], str]] = {
    "connector_connect_started": _connect_started,
    "connector_connected": lambda line: f"{line.subject} account connected",
    "connector_connect_succeeded": lambda line: f"{line.subject} connection succeeded",
    "connector_connect_failed": _connect_failed,
    "connector_disconnect_started": lambda line: f"{line.subject} disconnect started",
    "connector_disconnect_succeeded": _disconnect_succeeded,
    "connector_disconnected": _disconnected,
    "connector_sync_started": lambda line: f"{line.subject} {line.mode()} started{line.run()}",
    "connector_sync_completed": _sync_completed,
    "connector_sync_failed": _sync_failed,
    "connector_sync_skipped": _sync_skipped,
    "connector_job_scheduled": _job_scheduled,
    "connector_job_retried": _job_retried,
    "connector_cursor_reset": _cursor_reset,
    "connector_reconciliation_completed": _reconciliation_completed,
    "connector_breaker_opened": _breaker_opened,
    "connector_breaker_closed": lambda line: f"{line.subject} calls resumed: the provider answered again",
    "item_ingested": lambda line: line.item("imported"),
    "item_updated": _versioned("updated"),
    "item_restored": _versioned("restored"),
    "item_moved": lambda line: line.item("moved"),
    "item_deleted": _item_deleted,
    "item_skipped": _item_skipped,
}


def describe(record: ActivityRecord, title: str | None = None) -> str:
    """One line for the event; `title` is the item's name when the caller knows it (see
    Store.document_titles / item_names). Every upstream string in the line is escaped."""
    return MESSAGES.get(record.event, _generic(record.event))(_Line(record, title))
