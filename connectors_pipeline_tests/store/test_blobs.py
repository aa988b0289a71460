"""Content-addressed blob store: dedup, atomic commits, hash validation, chunked large streams."""

from __future__ import annotations

import hashlib
import os

import pytest

from connectors_pipeline.store.blobs import BlobRef, BlobStore


def _files(store: BlobStore) -> list[str]:
    return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file())


def test_write_then_read_back(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    with store.writer() as writer:
        writer.write(b"hello ")
        writer.write(memoryview(b"world"))
    digest = hashlib.sha256(b"hello world").hexdigest()
    assert writer.ref == BlobRef(sha256=digest, size=11)
    assert store.exists(digest)
    assert store.path(digest) == store.root / digest[:2] / digest[2:4] / digest
    with store.open(digest) as f:
        assert f.read() == b"hello world"


def test_same_content_is_stored_once(tmp_path):
    store = BlobStore(tmp_path)
    refs = []
    for _ in range(3):
        with store.writer() as writer:
            writer.write(b"same bytes")
        refs.append(writer.ref)
    assert refs[0] == refs[1] == refs[2]
    assert _files(store) == [f"{refs[0].sha256[:2]}/{refs[0].sha256[2:4]}/{refs[0].sha256}"]


def test_seek_and_truncate_rewrite_is_what_gets_hashed(tmp_path):
    store = BlobStore(tmp_path)
    with store.writer() as writer:
        writer.write(b"first attempt in a format that failed, longer")
        writer.seek(0)
        writer.truncate()
        writer.write(b"second")
        assert writer.tell() == 6
    assert writer.ref == BlobRef(hashlib.sha256(b"second").hexdigest(), 6)
    assert store.open(writer.ref.sha256).read() == b"second"


def test_empty_blob(tmp_path):
    store = BlobStore(tmp_path)
    with store.writer() as writer:
        pass
    assert writer.ref == BlobRef(hashlib.sha256(b"").hexdigest(), 0)
    assert store.exists(writer.ref.sha256)


def test_exception_leaves_no_blob_and_no_temp_file(tmp_path):
    store = BlobStore(tmp_path)
    with pytest.raises(RuntimeError, match="download broke"), store.writer() as writer:
        writer.write(b"partial download")
        raise RuntimeError("download broke")
    assert _files(store) == []
    assert not store.exists(hashlib.sha256(b"partial download").hexdigest())
    with pytest.raises(RuntimeError, match="stored only when"):
        _ = writer.ref


def test_blob_is_invisible_until_commit(tmp_path):
    store = BlobStore(tmp_path)
    digest = hashlib.sha256(b"content").hexdigest()
    with store.writer() as writer:
        writer.write(b"content")
        writer.flush()
        assert not store.exists(digest)
        # The bytes sit in a temp file inside root, so the final rename never crosses filesystems.
        assert [p.parent for p in store.root.rglob("*.part")] == [store.root / ".tmp"]
    assert store.exists(digest)
    assert list(store.root.rglob("*.part")) == []


def test_writer_is_closed_after_exit(tmp_path):
    store = BlobStore(tmp_path)
    with store.writer() as writer:
        writer.write(b"x")
    assert writer.closed
    with pytest.raises(ValueError):
        writer.write(b"more")


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "../../etc/passwd",
        "/etc/passwd",
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "g" * 64,
        "a" * 64 + "\n",
        "ab/cd/" + "a" * 58,
        "",
    ],
    ids=[
        "parent",
        "deep-parent",
        "absolute",
        "short",
        "long",
        "uppercase",
        "non-hex",
        "newline",
        "slashes",
        "empty",
    ],
)
def test_bad_hashes_are_rejected(tmp_path, bad):
    store = BlobStore(tmp_path)
    for method in (store.path, store.exists, store.open):
        with pytest.raises(ValueError, match="not a sha256 hex digest"):
            method(bad)


def test_missing_blob_raises_key_error(tmp_path):
    store = BlobStore(tmp_path)
    missing = "0" * 64
    assert not store.exists(missing)
    with pytest.raises(KeyError):
        store.path(missing)
    with pytest.raises(KeyError):
        store.open(missing)


def test_large_stream_written_in_chunks(tmp_path):
    store = BlobStore(tmp_path)
    chunk = os.urandom(1024 * 1024)
    expected = hashlib.sha256()
    with store.writer() as writer:
        for i in range(24):  # 24 MB: larger than the store's read chunk, so hashing is chunked too
            piece = bytes([i]) + chunk[1:]
            writer.write(piece)
            expected.update(piece)
    assert writer.ref == BlobRef(expected.hexdigest(), 24 * 1024 * 1024)
    assert store.path(writer.ref.sha256).stat().st_size == 24 * 1024 * 1024
    with store.open(writer.ref.sha256) as f:
        actual = hashlib.sha256()
        while block := f.read(1 << 20):
            actual.update(block)
    assert actual.hexdigest() == writer.ref.sha256


def test_two_stores_on_one_root_share_blobs(tmp_path):
    with BlobStore(tmp_path).writer() as writer:
        writer.write(b"shared")
    assert BlobStore(tmp_path).exists(writer.ref.sha256)
