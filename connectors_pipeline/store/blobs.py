"""Content-addressed blob store: fetched and exported bytes, stored once per sha256, never half-written."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1024 * 1024
_TMP_DIR = ".tmp"  # cannot collide with the two-hex-digit fan-out folders


@dataclass(frozen=True)
class BlobRef:
    sha256: str
    size: int


class BlobWriter:
    """A writable, seekable binary file backed by a temp file; `.ref` is set once the blob is stored.

    Providers may `seek(0); truncate()` and write again (an export retried in another format), which is
    why the hash is computed from the final file at commit, not while writing.
    """

    def __init__(self, file: BinaryIO):
        self._file = file
        self._ref: BlobRef | None = None

    def write(self, data: bytes | bytearray | memoryview) -> int:
        return self._file.write(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def truncate(self, size: int | None = None) -> int:
        return self._file.truncate(size)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def flush(self) -> None:
        self._file.flush()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._file.closed

    @property
    def ref(self) -> BlobRef:
        if self._ref is None:
            raise RuntimeError("the blob is stored only when the writer's `with` block exits cleanly")
        return self._ref


def _fsync_dir(directory: pathlib.Path) -> None:
    # Makes the rename itself durable, not only the file's bytes.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _digest(file: BinaryIO) -> BlobRef:
    file.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := file.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return BlobRef(sha256=digest.hexdigest(), size=size)


class BlobStore:
    """Blobs in a local folder as root/ab/cd/<sha256>; temp files live in root so renames are atomic.

    The local default. `open_blob_store` (store/blob_urls.py) builds this or, for an object-store URL,
    a `RemoteBlobStore`, which keeps this same layout under its read-through cache as `root`.
    """

    def __init__(self, root: pathlib.Path):
        self.root = pathlib.Path(root)
        self._tmp = self.root / _TMP_DIR
        self._tmp.mkdir(parents=True, exist_ok=True)

    @property
    def parts_dir(self) -> pathlib.Path:
        """The local folder of in-progress `blob-*.part` files, whatever the store's URL."""
        return self._tmp

    def _location(self, sha256: str) -> pathlib.Path:
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    @contextlib.contextmanager
    def writer(self) -> Iterator[BlobWriter]:
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="blob-", suffix=".part")
        tmp = pathlib.Path(tmp_name)
        try:
            with os.fdopen(fd, "w+b") as file:
                writer = BlobWriter(file)
                yield writer
                file.flush()
                os.fsync(file.fileno())
                ref = _digest(file)
            self._commit(tmp, ref)
            writer._ref = ref
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _commit(self, tmp: pathlib.Path, ref: BlobRef) -> None:
        """Move the finished temp file to its content address, or drop it when that is already stored."""
        final = self._location(ref.sha256)
        if final.exists():
            tmp.unlink()  # same content already stored: dedup
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            _fsync_dir(final.parent)

    def path(self, sha256: str) -> pathlib.Path:
        """Where the blob is; KeyError if it is not stored, ValueError if `sha256` is not a digest."""
        location = self._location(sha256)
        if not location.is_file():
            raise KeyError(sha256)
        return location

    def exists(self, sha256: str) -> bool:
        return self._location(sha256).is_file()

    def size(self, sha256: str) -> int:
        """The blob's length in bytes; KeyError if it is not stored."""
        return self.path(sha256).stat().st_size

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")

    def sweep_cache(self) -> int:
        """Remove local copies unused for a while; a local store is not a cache, so nothing. Returns how many."""
        return 0
