"""Where the project keeps its run-time state, from CONNECTORS_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    blob_root: Path
    dagster_home: Path
    encryption_keys: str | None  # comma-separated key ring, newest first; never logged

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
        )

    @property
    def demo_key_file(self) -> Path:
        return self.home / "keys" / "demo.key"
