"""The sandbox corpus is deterministic, covers every special case, and its files are real and searchable."""

from __future__ import annotations

import csv
import io

import docx
import pytest
from pypdf import PdfReader

from connectors_pipeline.domain.file_types import GOOGLE_SHORTCUT, file_type_of
from connectors_pipeline.sandbox.corpus import (
    EXPORT_SIZE_LIMIT,
    REGULAR_TYPES,
    SPECIAL_LABELS,
    CorpusFile,
    generate_corpus,
)
from connectors_pipeline.sandbox.corpus_text import marker_word

SMALL_OVERSIZE = 64 * 1024  # keeps most tests from building the default 26 MB file


@pytest.fixture(scope="module")
def corpus() -> list[CorpusFile]:
    return generate_corpus(seed=7, files=60, oversize_bytes=SMALL_OVERSIZE)


def _by_label(corpus: list[CorpusFile], label: str) -> list[tuple[int, CorpusFile]]:
    return [(i, f) for i, f in enumerate(corpus) if f.label == label]


def _fingerprint(corpus: list[CorpusFile]) -> list[tuple[object, ...]]:
    return [
        (f.folder, f.name, f.mime_type, f.content, f.native, f.trashed, f.shortcut_to, f.label, f.owner) for f in corpus
    ]


def test_same_seed_gives_byte_identical_corpus() -> None:
    first = generate_corpus(seed=3, files=80, oversize_bytes=SMALL_OVERSIZE)
    second = generate_corpus(seed=3, files=80, oversize_bytes=SMALL_OVERSIZE)
    assert _fingerprint(first) == _fingerprint(second)


def test_different_seeds_give_different_text() -> None:
    one = generate_corpus(seed=1, files=30, oversize_bytes=SMALL_OVERSIZE)
    two = generate_corpus(seed=2, files=30, oversize_bytes=SMALL_OVERSIZE)
    differing = [i for i, (a, b) in enumerate(zip(one, two, strict=True)) if a.content != b.content]
    assert len(differing) > 10


def test_small_corpus_is_prefix_of_large_one() -> None:
    small = generate_corpus(seed=5, files=25, oversize_bytes=SMALL_OVERSIZE)
    large = generate_corpus(seed=5, files=120, oversize_bytes=SMALL_OVERSIZE)
    assert len(small) == 25 and len(large) == 120
    assert _fingerprint(large[:25]) == _fingerprint(small)


def test_fewer_files_than_special_set_still_returns_special_set() -> None:
    corpus = generate_corpus(seed=0, files=1, oversize_bytes=SMALL_OVERSIZE)
    labels = {f.label for f in corpus}
    assert set(SPECIAL_LABELS) <= labels and set(REGULAR_TYPES) <= labels


def test_every_special_label_and_type_is_present(corpus: list[CorpusFile]) -> None:
    labels = {f.label for f in corpus}
    assert set(SPECIAL_LABELS) <= labels
    assert set(REGULAR_TYPES) <= labels


def test_entry_mime_types_match_their_label(corpus: list[CorpusFile]) -> None:
    for entry in corpus:
        if entry.label in REGULAR_TYPES:
            assert file_type_of(entry.mime_type) == entry.label, entry.name
        if entry.native is not None:
            assert entry.content is None and entry.mime_type == entry.native.mime_type
        elif entry.mime_type != GOOGLE_SHORTCUT:
            assert isinstance(entry.content, bytes)


def test_folders_are_nested_and_names_unique_per_folder(corpus: list[CorpusFile]) -> None:
    depths = {len(f.folder) for f in corpus}
    assert {0, 1, 2, 3} <= depths
    live = [(f.folder, f.name) for f in corpus if not f.trashed and f.label != "shortcut"]
    assert len(live) == len(set(live))


def test_shortcut_points_at_regular_file_in_another_folder(corpus: list[CorpusFile]) -> None:
    [(_, shortcut)] = _by_label(corpus, "shortcut")
    assert shortcut.mime_type == GOOGLE_SHORTCUT and shortcut.content is None
    assert shortcut.shortcut_to is not None
    target = corpus[shortcut.shortcut_to]
    assert target.content and target.shortcut_to is None and not target.trashed
    assert target.folder != shortcut.folder


def test_trashed_entry_is_a_regular_text_file(corpus: list[CorpusFile]) -> None:
    [(index, trashed)] = _by_label(corpus, "trashed")
    assert trashed.trashed and trashed.mime_type == "text/plain"
    assert marker_word(index) in trashed.content.decode("utf-8")
    assert [f for f in corpus if f.trashed] == [trashed]


def test_oversize_file_has_exactly_the_requested_size(corpus: list[CorpusFile]) -> None:
    [(_, oversize)] = _by_label(corpus, "oversize")
    assert oversize.mime_type in ("text/plain", "application/pdf")
    assert len(oversize.content) == SMALL_OVERSIZE


def test_default_oversize_file_is_over_default_policy_limit() -> None:
    corpus = generate_corpus(seed=0, files=1)
    [(_, oversize)] = _by_label(corpus, "oversize")
    assert len(oversize.content) > 25 * 1024 * 1024


def test_unsupported_binary_is_a_real_png_the_vault_cannot_read(corpus: list[CorpusFile]) -> None:
    [(_, binary)] = _by_label(corpus, "unsupported_binary")
    assert file_type_of(binary.mime_type) is None
    assert binary.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_hostile_name_has_traversal_rtl_override_and_control_char(corpus: list[CorpusFile]) -> None:
    [(index, hostile)] = _by_label(corpus, "hostile_name")
    assert "../" in hostile.name and "\u202e" in hostile.name and "\x07" in hostile.name
    assert 180 <= len(hostile.name) <= 255
    assert marker_word(index) in hostile.content.decode("utf-8")


def test_export_too_large_document_body_passes_ten_megabytes(corpus: list[CorpusFile]) -> None:
    [(_, big)] = _by_label(corpus, "export_too_large")
    assert big.native is not None and big.native.kind == "document"
    assert len(big.native.markdown.encode("utf-8")) > EXPORT_SIZE_LIMIT


def test_empty_file_has_no_bytes(corpus: list[CorpusFile]) -> None:
    [(_, empty)] = _by_label(corpus, "empty")
    assert empty.content == b"" and empty.mime_type == "text/plain"


def test_duplicate_pair_shares_content_in_different_folders(corpus: list[CorpusFile]) -> None:
    (_, a), (_, b) = _by_label(corpus, "duplicate_content")
    assert a.content == b.content and a.content
    assert a.folder != b.folder


def test_pdfs_open_with_pypdf_and_contain_their_marker(corpus: list[CorpusFile]) -> None:
    pdfs = [(i, f) for i, f in enumerate(corpus) if f.label == "pdf"]
    assert pdfs
    for index, entry in pdfs:
        reader = PdfReader(io.BytesIO(entry.content))
        text = "\n".join(page.extract_text() for page in reader.pages)
        assert marker_word(index) in text
        assert "Zürich" in text  # latin-1 text survives the core fonts


def test_docx_files_open_with_python_docx_and_contain_marker(corpus: list[CorpusFile]) -> None:
    docxs = [(i, f) for i, f in enumerate(corpus) if f.label == "docx"]
    assert docxs
    for index, entry in docxs:
        document = docx.Document(io.BytesIO(entry.content))
        styles = {p.style.name for p in document.paragraphs}
        assert {"Title", "Heading 1", "Heading 2"} <= styles
        body = "\n".join(p.text for p in document.paragraphs)
        assert marker_word(index) in body and "東京" in body
        assert document.tables and marker_word(index) in document.tables[0].cell(1, 1).text
        assert entry.name.startswith(document.core_properties.title)


def test_text_formats_carry_marker_and_structure(corpus: list[CorpusFile]) -> None:
    for index, entry in enumerate(corpus):
        if entry.label not in ("markdown", "html", "csv", "text"):
            continue
        text = entry.content.decode("utf-8")
        assert marker_word(index) in text
        if entry.label == "markdown":
            assert text.startswith("# ") and "\n## " in text and "| --- |" in text and "](" in text
        elif entry.label == "html":
            for tag in ("<title>", "<nav", "<script>", "<style>", "<h1>", "<ul>", "<table>", "<a href"):
                assert tag in text
        elif entry.label == "csv":
            rows = list(csv.reader(io.StringIO(text)))
            assert rows[0][0] == "id" and len(rows) > 3 and len({len(r) for r in rows}) == 1
        else:
            assert any(ord(ch) > 127 for ch in text)


def test_native_documents_have_their_kind_specific_content(corpus: list[CorpusFile]) -> None:
    natives = {f.label: f.native for f in corpus if f.native is not None}
    doc, sheet = natives["google_doc"], natives["google_sheet"]
    slides, drawing = natives["google_slides"], natives["google_drawing"]
    assert "\n## " in doc.markdown and "\n- " in doc.markdown and "| --- |" in doc.markdown
    assert "](https://" in doc.markdown
    assert len(sheet.sheets) == 2
    assert 3 <= len(slides.slides) <= 5
    assert drawing.kind == "drawing" and drawing.markdown


def test_two_thousand_file_corpus_generates() -> None:
    corpus = generate_corpus(seed=11, files=2000, oversize_bytes=SMALL_OVERSIZE)
    assert len(corpus) == 2000
    assert len({f.label for f in corpus}) == len(set(REGULAR_TYPES) | set(SPECIAL_LABELS))
