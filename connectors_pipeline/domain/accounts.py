"""Account identity: the opaque, sanitised partition key every layer uses to name an account."""

from __future__ import annotations

import hashlib
import re

PARTITION_KEY_PATTERN = re.compile(r"^[a-z0-9_]+-[0-9a-f]{12}$")


def partition_key_for(provider: str, tenant_id: str, external_account_id: str) -> str:
    """A stable key safe for Dagster partitions and the UI: no commas, pipes, dots, spaces or e-mails."""
    digest = hashlib.sha256(f"{tenant_id}\x1f{provider}\x1f{external_account_id}".encode()).hexdigest()
    key = f"{provider}-{digest[:12]}"
    assert PARTITION_KEY_PATTERN.match(key), key
    return key
