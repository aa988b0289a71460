"""What the vault should hold for a seeded corpus under a policy, derived from the corpus itself."""

from __future__ import annotations

from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.sandbox.corpus import CorpusFile
from connectors_pipeline.sandbox.ground_truth import INGESTED, differences, drive_truth, policy_skip, vault_state

__all__ = ["INGESTED", "actual_by_id", "differences", "drive_truth", "expected_by_id", "vault_state"]


def expected_outcome(entry: CorpusFile, policy: OrgPolicy) -> str | None:
    """'ingested', 'skipped:<reason>', or None for entries that are not items (shortcuts)."""
    if entry.shortcut_to is not None:
        return None
    if entry.trashed:
        return "skipped:trashed"
    if (reason := policy_skip(entry, policy)) is not None:
        return f"skipped:{reason}"
    if entry.label == "export_too_large":
        return "skipped:export_too_large"
    return INGESTED


def expected_by_id(corpus: list[CorpusFile], ids: dict[int, str], policy: OrgPolicy) -> dict[str, str]:
    expected = {}
    for index, entry in enumerate(corpus):
        outcome = expected_outcome(entry, policy)
        if outcome is not None:
            expected[ids[index]] = outcome
    return expected


def actual_by_id(store, partition_key: str) -> dict[str, str]:
    actual = {}
    for external_id, item in store.load_items(partition_key).items():
        if item.status == "synced":
            actual[external_id] = INGESTED
        else:
            actual[external_id] = f"{item.status}:{item.skip_reason}"
    return actual
