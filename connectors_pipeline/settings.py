"""Where the project keeps its run-time state, and its limits, from CONNECTORS_* environment variables."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

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


def shown_url(url: str) -> str:
    """A URL fit for an error message: fsspec URLs may carry a login (`ftp://user:password@host`) or
    signed query parameters, which never belong in a message or a log."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    location = rest.split("?", 1)[0]
    host, slash, path = location.partition("/")
    return f"{scheme}://{host.rpartition('@')[2]}{slash}{path}"


def _blob_location(env: Mapping[str, str], home: Path) -> tuple[Path, str | None]:
    """(local blob root, remote URL or None) from CONNECTORS_BLOB_URL, which wins, or CONNECTORS_BLOB_ROOT.

    A plain path and `file://` name the local folder store, so its layout stays exactly the default's;
    anything else with a scheme is an fsspec URL, checked when the store opens (store/blob_urls.py).
    """
    root = Path(env.get("CONNECTORS_BLOB_ROOT") or home / "blobs")
    raw = (env.get("CONNECTORS_BLOB_URL") or "").strip()
    if not raw:
        return root, None
    scheme, separator, rest = raw.partition("://")
    if not separator:
        return Path(raw).expanduser(), None
    if scheme.lower() == "file":
        host, _, path = rest.partition("/")
        if host not in ("", "localhost") or not path:
            raise ConfigurationError(
                f"CONNECTORS_BLOB_URL {shown_url(raw)!r} is not a local folder: "
                "write file:///absolute/path or a plain path"
            )
        return Path("/" + unquote(path)), None
    if not rest.strip("/"):
        raise ConfigurationError(f"CONNECTORS_BLOB_URL {shown_url(raw)!r} names no bucket or folder")
    return root, raw.rstrip("/")


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
    # An fsspec object-store URL (s3://bucket/prefix, gs://..., memory://...); None keeps the blobs in
    # the local folder `blob_root`, which a remote store does not use.
    blob_url: str | None = None
    # How long a remote store's local copy may go unread before the cache sweep removes it.
    blob_cache_hours: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("CONNECTORS_HOME") or ".connectors").expanduser().resolve()
        blob_root, blob_url = _blob_location(env, home)
        return cls(
            home=home,
            database_url=env.get("CONNECTORS_DATABASE_URL") or f"sqlite:///{home / 'connectors.db'}",
            blob_root=blob_root,
            dagster_home=Path(env.get("DAGSTER_HOME") or home / "dagster"),
            encryption_keys=env.get("CONNECTORS_ENCRYPTION_KEYS") or None,
            extraction_timeout_seconds=_positive(env, "CONNECTORS_EXTRACTION_TIMEOUT_SECONDS"),
            extraction_memory_mib=_positive(env, "CONNECTORS_EXTRACTION_MEMORY_MIB"),
            blob_url=blob_url,
            blob_cache_hours=_positive(env, "CONNECTORS_BLOB_CACHE_HOURS"),
        )

    @property
    def demo_key_file(self) -> Path:
        return self.home / "keys" / "demo.key"

    @property
    def blob_cache(self) -> Path:
        """Where a remote blob store keeps local copies: written blobs and ones read for extraction."""
        return self.home / "blob-cache"
