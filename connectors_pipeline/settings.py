"""Where the project keeps its run-time state, and its limits, from CONNECTORS_* environment variables."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from connectors_pipeline.domain.errors import ConfigurationError


def _positive(env: Mapping[str, str], name: str) -> float | None:
    """The variable as a positive number; None when unset, so the component's own default applies."""
    raw = env.get(name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < math.inf:
        raise ConfigurationError(f"{name} must be a positive number, not {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    blob_root: Path
    dagster_home: Path
    encryption_keys: str | None  # comma-separated key ring, newest first; never logged
    # Per-file bounds of text extraction; None keeps the defaults of extract.ExtractionLimits.
    extraction_timeout_seconds: float | None = None
    extraction_memory_mib: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("CONNECTORS_HOME") or ".connectors").expanduser().resolve()
        return cls(
            home=home,
            database_url=env.get("CONNECTORS_DATABASE_URL") or f"sqlite:///{home / 'connectors.db'}",
            blob_root=Path(env.get("CONNECTORS_BLOB_ROOT") or home / "blobs"),
            dagster_home=Path(env.get("DAGSTER_HOME") or home / "dagster"),
            encryption_keys=env.get("CONNECTORS_ENCRYPTION_KEYS") or None,
            extraction_timeout_seconds=_positive(env, "CONNECTORS_EXTRACTION_TIMEOUT_SECONDS"),
            extraction_memory_mib=_positive(env, "CONNECTORS_EXTRACTION_MEMORY_MIB"),
        )

    @property
    def demo_key_file(self) -> Path:
        return self.home / "keys" / "demo.key"
