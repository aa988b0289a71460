"""Hostile and broken files in a Drive, through the real Dagster sync: each is ingested with a safe name
and its text, or skipped with the precise reason; the rest of the Drive syncs as usual; and nothing is
written outside the blob root, whatever the names say."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

import pytest

from connectors_pipeline.domain.file_types import DOCX
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.extract.names import MAX_NAME_CHARS
from connectors_pipeline.settings import Settings
from connectors_pipeline_tests.extract import hostile_files as hostile
from connectors_pipeline_tests.pipeline.conftest import USER
from connectors_pipeline_tests.pipeline.ground_truth import actual_by_id, expected_by_id
from connectors_pipeline_tests.pipeline.test_initial_sync import run_sync

TIMEOUT_SECONDS = 3  # the slow PDF needs minutes; every other file here takes well under a second


@dataclass(frozen=True)
class Hostile:
    name: str
    mime: str
    content: bytes
    skip: str | None = None  # regex of the skip detail; None: ingested
    text: str | None = None  # the text it is ingested with
    title: str | None = None  # the vault title, when the name had to be made safe


def _hostile_files() -> list[Hostile]:
    long_name = "L" * 996 + ".txt"
    return [
        Hostile("truncated.pdf", "application/pdf", hostile.truncated_pdf(), skip=r"corrupt PDF: .+"),
        Hostile("locked.pdf", "application/pdf", hostile.encrypted_pdf("Secret plans"), skip=r"encrypted PDF"),
        Hostile(
            "bomb.docx",
            DOCX,
            hostile.bomb_docx(),
            skip=r"DOCX would unpack to more than 536870912 bytes \(possible decompression bomb\)",
        ),
        Hostile(
            "liar.docx",
            DOCX,
            hostile.lying_docx(),
            skip=r"corrupt DOCX: part 'word/document\.xml' inflates past its declared 20971520 bytes",
        ),
        Hostile("bomb.pdf", "application/pdf", hostile.pdf_bomb(), skip=r"PDF exceeds safety limits on page 1: .+"),
        Hostile(
            "slow.pdf", "application/pdf", hostile.slow_pdf(), skip=rf"extraction timed out after {TIMEOUT_SECONDS} s"
        ),
        Hostile("huge.log", "text/plain", hostile.huge_text(), skip=r"text longer than 5000000 characters"),
        Hostile(
            "photo.pdf",
            "application/pdf",
            hostile.png(),
            skip=r"content type mismatch: the bytes are a PNG image, not a PDF document as declared \(.+\)",
        ),
        Hostile(
            "statement.txt",
            "text/plain",
            hostile.pdf(["hidden"]),
            skip=r"content type mismatch: the bytes are a PDF document, not plain text as declared \('text/plain'\)",
        ),
        Hostile("deep.html", "text/html", hostile.deep_html(), skip=r"HTML nested too deeply to convert"),
        Hostile(
            "latin1.txt",
            "text/plain",
            b"caf\xe9 na\xefve r\xe9sum\xe9 quuxinvalid",
            text="café naïve résumé quuxinvalid",
        ),
        Hostile("empty.txt", "text/plain", b"", text=""),  # an empty file is an empty document, found by name
        Hostile("really-text.pdf", "text/plain", b"quuxlabel words", text="quuxlabel words"),
        Hostile("../../../etc/passwd", "text/plain", b"quuxtraversal", text="quuxtraversal"),
        Hostile(
            "bell\x07\x1b[31mred\x1b[0m.txt",
            "text/plain",
            b"quuxcontrol",
            text="quuxcontrol",
            title="bell[31mred[0m.txt",
        ),
        Hostile("invoice\u202etxt.exe", "text/plain", b"quuxbidi", text="quuxbidi", title="invoicetxt.exe"),
        Hostile(long_name, "text/plain", b"quuxlong", text="quuxlong", title="L" * (MAX_NAME_CHARS - 5) + "\u2026.txt"),
    ]


# PostgreSQL text cannot hold NUL: the provider replaces it with U+FFFD when it makes the item.
NUL_NAME = Hostile("nul\x00name.txt", "text/plain", b"quuxnul", text="quuxnul", title="nul\ufffdname.txt")


@pytest.fixture(scope="module")
def hostile_files() -> list[Hostile]:
    return _hostile_files()


def _files_under(root) -> list:  # type: ignore[no-untyped-def]
    return [os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names]


def _assert_blob_root_is_content_addressed(blob_root) -> None:  # type: ignore[no-untyped-def]
    for path in _files_under(blob_root):
        relative = os.path.relpath(path, blob_root)
        assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}", relative), relative
        with open(path, "rb") as blob:
            assert hashlib.sha256(blob.read()).hexdigest() == os.path.basename(path)


def _assert_outcome(store, item, f: Hostile, tmp_path) -> None:  # type: ignore[no-untyped-def]
    upstream = f.name.replace("\x00", "\ufffd")
    assert item.name == upstream, "the item row keeps the upstream name as it is (but NUL)"
    if f.skip is not None:
        assert (item.status, item.skip_reason) == ("skipped", "extraction_failed"), f.name
        assert re.fullmatch(f.skip, item.skip_detail), (f.name, item.skip_detail)
        assert str(tmp_path) not in item.skip_detail
        return
    assert item.status == "synced", (f.name, item.status, item.skip_detail)
    doc = store.get_document(item.vault_document_id)
    assert doc.text == f.text
    assert doc.title == (f.title or f.name)
    assert len(doc.title) <= MAX_NAME_CHARS and not re.search("[\x00-\x1f\x7f\u202a-\u202e]", doc.path)
    if f.title is not None and f.title != upstream:
        assert doc.provenance["original_name"] == upstream
    if f.text:
        marker = next(word for word in f.text.split() if word.startswith("quux"))
        assert item.vault_document_id in [hit.document_id for hit in store.search(marker)]


def test_hostile_files_are_ingested_safely_or_skipped_with_a_precise_reason(
    drive_world, hostile_files, monkeypatch, tmp_path
):
    monkeypatch.setenv("CONNECTORS_EXTRACTION_TIMEOUT_SECONDS", str(TIMEOUT_SECONDS))
    drive = drive_world.state.drive(USER)
    ids = {drive.create_file(f.name, None, f.mime, f.content): f for f in hostile_files}

    result = run_sync(drive_world)

    assert result.success
    store, key = drive_world.store, drive_world.key
    items = store.load_items(key)
    for external_id, f in ids.items():
        _assert_outcome(store, items[external_id], f, tmp_path)

    corpus_ids = set(expected_by_id(drive_world.corpus, drive_world.ids, OrgPolicy()))
    actual = {k: v for k, v in actual_by_id(store, key).items() if k in corpus_ids}
    assert actual == expected_by_id(drive_world.corpus, drive_world.ids, OrgPolicy()), "the rest syncs as usual"

    settings = Settings.from_env()
    _assert_blob_root_is_content_addressed(settings.blob_root)
    fetched = {item.blob_sha256 for item in items.values() if item.blob_sha256}
    stored = {os.path.basename(path) for path in _files_under(settings.blob_root)}
    assert stored == fetched, "every blob belongs to a fetched item, none is named after anything else"
    assert not (settings.blob_root / "../../../etc/passwd").resolve().exists()
    fragments = ("passwd", "nulname", "bell", "invoice", "LLLL", "\u202e", "\x07")
    for path in _files_under(tmp_path):
        assert not any(fragment in os.path.basename(path) for fragment in fragments), path


def test_a_name_with_a_nul_character_is_ingested_without_it(drive_world, tmp_path):
    file_id = drive_world.state.drive(USER).create_file(NUL_NAME.name, None, NUL_NAME.mime, NUL_NAME.content)

    assert run_sync(drive_world).success
    _assert_outcome(drive_world.store, drive_world.store.load_items(drive_world.key)[file_id], NUL_NAME, tmp_path)
