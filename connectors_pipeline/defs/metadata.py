"""Turns step outcomes into materialization metadata a person can read in the Dagster UI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import dagster as dg


def total(counters: Iterable[Counter[str]]) -> Counter[str]:
    result: Counter[str] = Counter()
    for counter in counters:
        result.update(counter)
    return result


def skipped_table(skipped: Counter[str]) -> dg.MetadataValue:
    if not skipped:
        return dg.MetadataValue.md("Nothing skipped.")
    rows = "\n".join(f"| {reason} | {count} |" for reason, count in sorted(skipped.items()))
    return dg.MetadataValue.md(f"| reason | items |\n|---|---|\n{rows}")


def common(context: dg.AssetExecutionContext, succeeded: int, seconds: float) -> dict[str, object]:
    return {
        "accounts": len(context.partition_keys),
        "accounts_failed": len(context.partition_keys) - succeeded,
        "duration_seconds": round(seconds, 3),
    }
