"""Blob stores at a URL: one behaviour for a local folder and an fsspec object store (memory://), plus config."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from pathlib import Path

import fsspec
import pytest

from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.settings import Settings
from connectors_pipeline.store.blob_urls import CorruptBlob, RemoteBlobStore, open_blob_store
from connectors_pipeline.store.blobs import BlobRef, BlobStore
from connectors_pipeline.sync.export import sweep_abandoned_parts


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def memory_url() -> str:
    url = f"memory://blobs-{uuid.uuid4().hex}/prefix"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


@pytest.fixture(params=["local", "memory"])
def store(request, tmp_path, memory_url) -> BlobStore:
    if request.param == "local":
        return BlobStore(tmp_path / "blobs")
    return RemoteBlobStore(memory_url, tmp_path / "blob-cache")


def stored(store: BlobStore) -> list[str]:
    """Every blob the store holds, as paths relative to its root or URL."""
    if isinstance(store, RemoteBlobStore):
        fs, prefix = fsspec.core.url_to_fs(store.url)
        return sorted(name.removeprefix(prefix.rstrip("/") + "/") for name in fs.find(prefix))
    return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file())


def test_write_then_read_back_through_a_local_path(store):
    with store.writer() as writer:
        writer.write(b"hello ")
        writer.write(memoryview(b"world"))
    digest = _sha(b"hello world")
    assert writer.ref == BlobRef(digest, 11)
    assert store.exists(digest) and store.size(digest) == 11
    assert store.path(digest).read_bytes() == b"hello world"
    with store.open(digest) as f:
        assert f.read() == b"hello world"


def test_same_content_is_stored_once(store):
    refs = []
    for _ in range(3):
        with store.writer() as writer:
            writer.write(b"same bytes")
        refs.append(writer.ref)
    assert refs[0] == refs[1] == refs[2]
    assert len(stored(store)) == 1


def test_a_writer_that_raises_leaves_nothing(store):
    with pytest.raises(RuntimeError, match="download broke"), store.writer() as writer:
        writer.write(b"partial download")
        raise RuntimeError("download broke")
    assert stored(store) == []
    assert list(store.parts_dir.iterdir()) == []
    assert not store.exists(_sha(b"partial download"))


def test_seek_and_truncate_rewrite_is_what_gets_stored(store):
    with store.writer() as writer:
        writer.write(b"first attempt in a format that failed, longer")
        writer.seek(0)
        writer.truncate()
        writer.write(b"second")
    assert writer.ref == BlobRef(_sha(b"second"), 6)
    assert store.path(writer.ref.sha256).read_bytes() == b"second"


def test_missing_blob_is_a_key_error_and_a_bad_digest_a_value_error(store):
    missing = "0" * 64
    assert not store.exists(missing)
    for method in (store.path, store.size, store.open):
        with pytest.raises(KeyError):
            method(missing)
        with pytest.raises(ValueError, match="not a sha256 hex digest"):
            method("../../etc/passwd")


def test_abandoned_parts_are_swept_from_the_local_temp_folder(store):
    old = store.parts_dir / "blob-killed.part"
    old.write_bytes(b"half")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    fresh = store.parts_dir / "blob-live.part"
    fresh.write_bytes(b"in progress")
    assert sweep_abandoned_parts(store) == 1
    assert [p.name for p in store.parts_dir.iterdir()] == ["blob-live.part"]


def test_remote_layout_is_url_fan_out_sha(memory_url, tmp_path):
    store = RemoteBlobStore(memory_url + "/", tmp_path / "cache")
    with store.writer() as writer:
        writer.write(b"layout")
    digest = writer.ref.sha256
    assert stored(store) == [f"{digest[:2]}/{digest}"]
    assert fsspec.filesystem("memory").cat(f"{memory_url}/{digest[:2]}/{digest}") == b"layout"


def test_another_machine_reads_through_its_own_cache(memory_url, tmp_path):
    with RemoteBlobStore(memory_url, tmp_path / "machine-a").writer() as writer:
        writer.write(b"fetched on machine a")
    other = RemoteBlobStore(memory_url, tmp_path / "machine-b")
    digest = writer.ref.sha256
    assert not (other.root / digest[:2] / digest[2:4] / digest).exists()

    local = other.path(digest)

    assert local.is_relative_to(tmp_path / "machine-b") and local.read_bytes() == b"fetched on machine a"
    assert list(other.parts_dir.iterdir()) == []


def test_two_machines_writing_the_same_blob_at_once_store_it_once(memory_url, tmp_path):
    machines = [RemoteBlobStore(memory_url, tmp_path / f"machine-{i}") for i in range(4)]
    refs: list[BlobRef] = []

    def fetch(machine: RemoteBlobStore) -> None:
        with machine.writer() as writer:
            writer.write(b"one export, many runs" * 1000)
        refs.append(writer.ref)

    threads = [threading.Thread(target=fetch, args=(machine,)) for machine in machines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(refs)) == 1 and len(stored(machines[0])) == 1
    assert machines[0].path(refs[0].sha256).read_bytes() == b"one export, many runs" * 1000


def test_a_stored_blob_is_not_uploaded_again(memory_url, tmp_path, monkeypatch):
    store = RemoteBlobStore(memory_url, tmp_path / "cache")
    with store.writer() as writer:
        writer.write(b"once")
    uploads = []
    monkeypatch.setattr(store._fs, "put_file", lambda *args, **kwargs: uploads.append(args))
    with RemoteBlobStore(memory_url, tmp_path / "elsewhere").writer() as again:
        again.write(b"once")
    assert uploads == [] and again.ref == writer.ref


def test_a_corrupt_object_is_refused_and_not_cached(memory_url, tmp_path):
    digest = _sha(b"the real bytes")
    fsspec.filesystem("memory").pipe(f"{memory_url}/{digest[:2]}/{digest}", b"something else")
    store = RemoteBlobStore(memory_url, tmp_path / "cache")
    with pytest.raises(CorruptBlob):
        store.path(digest)
    assert not (store.root / digest[:2] / digest[2:4] / digest).exists()
    assert list(store.parts_dir.iterdir()) == []


def test_cache_sweep_removes_only_copies_unused_for_its_age(memory_url, tmp_path):
    store = RemoteBlobStore(memory_url, tmp_path / "cache", cache_hours=1)
    refs = []
    for data in (b"old", b"recent"):
        with store.writer() as writer:
            writer.write(data)
        refs.append(writer.ref.sha256)
    old_copy = store.path(refs[0])
    os.utime(old_copy, (time.time() - 7200, time.time() - 7200))

    assert store.sweep_cache() == 1

    assert not old_copy.exists() and store.exists(refs[0]), "the object store still holds it"
    assert store.path(refs[0]).read_bytes() == b"old", "and a later read downloads it again"
    assert BlobStore(tmp_path / "local").sweep_cache() == 0


def test_an_unknown_scheme_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="no 'nosuchfs' scheme"):
        RemoteBlobStore("nosuchfs://bucket/blobs", tmp_path)


def test_a_missing_fsspec_implementation_names_its_package(tmp_path):
    try:
        import s3fs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("s3fs is installed here")
    with pytest.raises(ConfigurationError, match=r"needs the s3fs package .*pip install s3fs"):
        RemoteBlobStore("s3://bucket/blobs", tmp_path)


def test_settings_open_the_store_they_name(tmp_path, memory_url):
    local = open_blob_store(Settings.from_env({"CONNECTORS_HOME": str(tmp_path)}))
    assert type(local) is BlobStore and local.root == tmp_path / "blobs"

    settings = Settings.from_env(
        {"CONNECTORS_HOME": str(tmp_path), "CONNECTORS_BLOB_URL": memory_url, "CONNECTORS_BLOB_CACHE_HOURS": "2"}
    )
    remote = open_blob_store(settings)
    assert isinstance(remote, RemoteBlobStore) and remote.url == memory_url and remote.cache_hours == 2
    assert remote.root.parent == tmp_path / "blob-cache"


@pytest.mark.parametrize(
    ("env", "root", "url"),
    [
        ({}, "{home}/blobs", None),
        ({"CONNECTORS_BLOB_ROOT": "/srv/blobs"}, "/srv/blobs", None),
        ({"CONNECTORS_BLOB_URL": "/data/blobs"}, "/data/blobs", None),
        ({"CONNECTORS_BLOB_URL": "/data/blobs", "CONNECTORS_BLOB_ROOT": "/srv/blobs"}, "/data/blobs", None),
        ({"CONNECTORS_BLOB_URL": "file:///data/my%20blobs"}, "/data/my blobs", None),
        ({"CONNECTORS_BLOB_URL": "file://localhost/data/blobs"}, "/data/blobs", None),
        ({"CONNECTORS_BLOB_URL": "s3://bucket/prefix/"}, "{home}/blobs", "s3://bucket/prefix"),
        ({"CONNECTORS_BLOB_URL": " gs://bucket ", "CONNECTORS_BLOB_ROOT": "/srv/b"}, "/srv/b", "gs://bucket"),
        ({"CONNECTORS_BLOB_URL": "memory://tests/blobs"}, "{home}/blobs", "memory://tests/blobs"),
        ({"CONNECTORS_BLOB_URL": ""}, "{home}/blobs", None),
    ],
    ids=[
        "default",
        "root",
        "url-path",
        "url-wins",
        "file-url",
        "file-localhost",
        "s3",
        "gs-over-root",
        "memory",
        "empty-url",
    ],
)
def test_settings_read_the_blob_location(tmp_path, env, root, url):
    settings = Settings.from_env({"CONNECTORS_HOME": str(tmp_path), **env})
    assert settings.blob_root == Path(root.format(home=tmp_path))
    assert settings.blob_url == url
    assert settings.blob_cache == tmp_path / "blob-cache"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("file://fileserver/share/blobs", "not a local folder"),
        ("file://", "not a local folder"),
        ("s3://", "names no bucket"),
        ("gs:///", "names no bucket"),
    ],
)
def test_settings_refuse_a_blob_url_that_names_no_place(value, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env({"CONNECTORS_BLOB_URL": value})


def test_settings_refuse_a_non_positive_cache_age():
    with pytest.raises(ConfigurationError, match="CONNECTORS_BLOB_CACHE_HOURS"):
        Settings.from_env({"CONNECTORS_BLOB_CACHE_HOURS": "0"})


def test_a_login_in_the_blob_url_never_reaches_an_error_message():
    from connectors_pipeline.settings import shown_url

    assert shown_url("ftp://ada:s3cret@files.example.com/blobs?sig=abc") == "ftp://files.example.com/blobs"
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({"CONNECTORS_HOME": "/tmp/h", "CONNECTORS_BLOB_URL": "file://ada:s3cret@elsewhere/blobs"})
    assert "s3cret" not in str(raised.value)
