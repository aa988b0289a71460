"""How connector runs batch accounts: up to ACCOUNTS_PER_RUN adjacent partitions as one range.

Run launch costs seconds and connector work waits on HTTP, so backfills, initial syncs and
reconciliations take accounts ten to a run. Dynamic partitions keep insertion order, which makes a
range of them a stable batch.
"""

ACCOUNTS_PER_RUN = 10
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def range_tags(first: str, last: str) -> dict[str, str]:
    return {RANGE_START: first, RANGE_END: last}
