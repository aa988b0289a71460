"""Blob stores at a URL: the local folder by default, or an fsspec object store read through a local cache.

`CONNECTORS_BLOB_URL` takes a local path, `file:///...`, or any fsspec URL. Object stores need their
fsspec implementation installed next to this package: `s3fs` for `s3://`, `gcsfs` for `gs://`,
`adlfs` for `az://`; `memory://` (in-process, for tests) comes with fsspec itself. Credentials come
from the implementation's usual sources (AWS_* variables, instance roles, application default
credentials), never from this project's configuration.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import tempfile
import time
from typing import Any

import fsspec
from fsspec.registry import known_implementations

from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.settings import Settings, shown_url
from connectors_pipeline.store.blobs import BlobRef, BlobStore

DEFAULT_CACHE_HOURS = 24.0
_CHUNK = 1024 * 1024


class CorruptBlob(OSError):
    """The bytes downloaded for a blob do not hash to its address (a damaged or foreign object)."""


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings name: the local folder unless CONNECTORS_BLOB_URL is an object store."""
    if settings.blob_url is None:
        return BlobStore(settings.blob_root)
    return RemoteBlobStore(
        settings.blob_url,
        settings.blob_cache,
        cache_hours=settings.blob_cache_hours or DEFAULT_CACHE_HOURS,
    )


def _filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem and path prefix for `url`; ConfigurationError naming what is missing."""
    # A chained URL (simplecache::s3://...) needs every scheme in the chain.
    for part in url.split("::"):
        protocol = part.partition("://")[0].lower()
        try:
            fsspec.get_filesystem_class(protocol)
        except ImportError as exc:
            package = known_implementations.get(protocol, {}).get("class", protocol).split(".")[0]
            raise ConfigurationError(
                f"CONNECTORS_BLOB_URL {shown_url(url)!r} needs the {package} package for {protocol}:// "
                f"(pip install {package}): {exc}"
            ) from exc
        except ValueError as exc:
            raise ConfigurationError(
                f"CONNECTORS_BLOB_URL {shown_url(url)!r}: fsspec knows no {protocol!r} scheme"
            ) from exc
    try:
        fs, prefix = fsspec.core.url_to_fs(url)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"CONNECTORS_BLOB_URL {shown_url(url)!r} is not a usable fsspec URL ({type(exc).__name__})"
        ) from exc
    return fs, prefix.rstrip("/")


class RemoteBlobStore(BlobStore):
    """Blobs at <url>/<aa>/<sha256> in an object store, written from and read through a local cache.

    `root` is the cache: a local store of the same layout, one folder per URL under `cache_root` (a copy
    cached from one store must not make another look as if it held the blob). Writers still stream into
    a local temp file there, because providers seek and truncate while they write.
    """

    def __init__(self, url: str, cache_root: pathlib.Path, *, cache_hours: float = DEFAULT_CACHE_HOURS):
        self.url = url.rstrip("/")
        self._fs, self._prefix = _filesystem(self.url)
        self.cache_hours = cache_hours
        super().__init__(pathlib.Path(cache_root) / hashlib.sha256(self.url.encode()).hexdigest()[:16])

    def __repr__(self) -> str:
        return f"RemoteBlobStore({self.url!r}, cache={str(self.root)!r})"

    def _key(self, sha256: str) -> str:
        self._location(sha256)  # validates the digest before it becomes part of a key
        return f"{self._prefix}/{sha256[:2]}/{sha256}"

    def _remote_size(self, key: str) -> int | None:
        try:
            info = self._fs.info(key)
        except FileNotFoundError:
            return None
        return None if info.get("type") == "directory" else int(info["size"])

    def _commit(self, tmp: pathlib.Path, ref: BlobRef) -> None:
        key = self._key(ref.sha256)
        # Upload straight to the final key, no temp key and rename: a PUT to an object store is atomic
        # per object (readers see all of it or nothing; a broken multipart upload is never visible),
        # and a "rename" there is a second full copy. Two machines committing the same blob at once
        # both write identical bytes, so whichever lands last changes nothing. An object of the wrong
        # size (never expected) is overwritten rather than trusted.
        if self._remote_size(key) != ref.size:
            self._fs.put_file(str(tmp), key)
        # Write-through: the machine that fetched a blob usually extracts it next, without downloading.
        super()._commit(tmp, ref)

    def exists(self, sha256: str) -> bool:
        # The object store is the truth; a cached copy only proves the blob was there once.
        return self._remote_size(self._key(sha256)) is not None

    def size(self, sha256: str) -> int:
        size = self._remote_size(self._key(sha256))
        if size is None:
            raise KeyError(sha256)
        return size

    def path(self, sha256: str) -> pathlib.Path:
        """A local copy of the blob (downloaded on first use); KeyError if the store does not hold it."""
        location = self._location(sha256)
        try:
            os.utime(location)  # marks the copy as used, so the cache sweep keeps it
            return location
        except FileNotFoundError:
            pass
        self._download(sha256)
        return location

    def _download(self, sha256: str) -> None:
        fd, tmp_name = tempfile.mkstemp(dir=self.parts_dir, prefix="blob-", suffix=".part")
        tmp = pathlib.Path(tmp_name)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                try:
                    source = self._fs.open(self._key(sha256), "rb")
                except FileNotFoundError:
                    raise KeyError(sha256) from None
                with source:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            # Content addressing lets every download prove itself before anything reads it.
            if digest.hexdigest() != sha256:
                raise CorruptBlob(f"{shown_url(self.url)}/{sha256[:2]}/{sha256} does not hash to its name")
            BlobStore._commit(self, tmp, BlobRef(sha256, size))  # into the cache only
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def sweep_cache(self) -> int:
        """Remove local copies unread for `cache_hours`; returns how many.

        The cache is swept by age, not bounded by size: `path` hands out local paths that extraction
        workers open later, and evicting one of those to make room would fail a running sync. A copy is
        touched whenever it is handed out, so only copies no recent run used are removed; the object
        store keeps every blob, so a removed copy costs one download if it is needed again.
        """
        cutoff, removed = time.time() - self.cache_hours * 3600, 0
        for copy in self.root.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*"):
            try:
                if copy.stat().st_mtime < cutoff:
                    copy.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # another sweep took it meanwhile
        return removed
