"""Turns step outcomes into materialization metadata a person can read in the Dagster UI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import dagster as dg

from connectors_pipeline.defs.listing_frames import COLUMNS
from connectors_pipeline.sync.listing import ListingOutcome


def total(counters: Iterable[Counter[str]]) -> Counter[str]:
    result: Counter[str] = Counter()
    for counter in counters:
        result.update(counter)
    return result


def resilience_metadata(steps: Iterable[dict[str, float]]) -> dict[str, float]:
    """Requests retried, seconds spent waiting to retry, and calls a breaker refused, over the accounts."""
    totals = {"requests_retried": 0, "retry_seconds": 0.0, "rejected_by_breaker": 0}
    for counts in steps:
        for name, value in counts.items():
            totals[name] = round(totals.get(name, 0) + value, 2)
    return totals


def reason_table(counts: Counter[str], empty: str) -> dg.MetadataValue:
    if not counts:
        return dg.MetadataValue.md(empty)
    rows = "\n".join(f"| {reason} | {count} |" for reason, count in sorted(counts.items()))
    return dg.MetadataValue.md(f"| reason | items |\n|---|---|\n{rows}")


def skipped_table(skipped: Counter[str]) -> dg.MetadataValue:
    return reason_table(skipped, "Nothing skipped.")


def common(context: dg.AssetExecutionContext, succeeded: int, seconds: float) -> dict[str, object]:
    return {
        "accounts": len(context.partition_keys),
        "accounts_failed": len(context.partition_keys) - succeeded,
        "duration_seconds": round(seconds, 3),
    }


def listing_metadata(context: dg.AssetExecutionContext, results: dict[str, ListingOutcome]) -> dict[str, object]:
    outcomes = results.values()
    metadata: dict[str, object] = {
        **common(context, len(results), sum(o.seconds for o in outcomes)),
        "dagster/row_count": sum(o.listed for o in outcomes),
        "dagster/column_schema": COLUMNS,
        "sync_modes": dg.MetadataValue.json(dict(Counter(o.mode for o in outcomes))),
        "items_listed": sum(o.listed for o in outcomes),
        "items_to_fetch": sum(o.to_fetch for o in outcomes),
        "items_moved": sum(o.count("moved") for o in outcomes),
        "items_unchanged": sum(o.count("unchanged") for o in outcomes),
        "items_removed": sum(sum(o.removed.values()) for o in outcomes),
        "removed_by_reason": reason_table(total(o.removed for o in outcomes), "Nothing removed."),
        "skipped_by_reason": skipped_table(total(o.skipped for o in outcomes)),
        "cursor_staged": dg.MetadataValue.json({key: o.cursor for key, o in results.items()}),
    }
    fallbacks = {key: o.fallback for key, o in results.items() if o.fallback}
    if fallbacks:
        metadata["snapshot_fallbacks"] = dg.MetadataValue.json(fallbacks)
    reconciled = [o for o in outcomes if o.mode == "reconcile"]
    if reconciled:
        metadata["feed_missed"] = dg.MetadataValue.json(dict(total(Counter(o.missed) for o in reconciled)))
    return metadata
