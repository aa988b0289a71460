"""The sandbox's deterministic, seeded Drive corpus: real file formats, folders and edge-case entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from connectors_pipeline.domain.file_types import DOCX, GOOGLE_SHORTCUT
from connectors_pipeline.sandbox import corpus_content as content
from connectors_pipeline.sandbox.corpus_formats import render_png
from connectors_pipeline.sandbox.corpus_text import entry_rng, marker_word, paragraph, title

NATIVE_KINDS: tuple[str, ...] = ("document", "spreadsheet", "presentation", "drawing")
EXPORT_SIZE_LIMIT = 10 * 1024 * 1024  # Drive refuses exports larger than this (exportSizeLimitExceeded)


@dataclass(frozen=True)
class NativeDocument:
    """A Google-native file. Its exports are made on demand by `native_export.export_native`.

    document: `markdown` is the body. spreadsheet: `sheets` (first sheet is what CSV/TSV export).
    presentation: `slides`, one string per slide. drawing: `markdown` holds its shapes' text lines.
    """

    kind: str
    title: str
    markdown: str = ""
    sheets: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()
    slides: tuple[str, ...] = ()

    @property
    def mime_type(self) -> str:
        return f"application/vnd.google-apps.{self.kind}"


@dataclass(frozen=True)
class CorpusFile:
    folder: tuple[str, ...]  # folder names below My Drive root; () is the root itself
    name: str
    mime_type: str
    content: bytes | None  # None for Google-native documents and shortcuts
    native: NativeDocument | None = None
    trashed: bool = False
    shortcut_to: int | None = None  # corpus index of the target; this entry is a shortcut
    label: str = ""  # what the entry exercises: a file type, or a special case (see SPECIAL_LABELS)
    owner: str | None = None  # someone else who owns the file and shared it with the user; None: the user


# Every folder that holds something; fillers are spread over these (and the root).
FOLDERS: tuple[tuple[str, ...], ...] = (
    (),
    ("Projects",),
    ("Projects", "Alpha"),
    ("Projects", "Alpha", "Notes"),
    ("Projects", "Beta"),
    ("Finance",),
    ("Finance", "2024"),
    ("Finance", "2025"),
    ("Shared Notes",),
    ("Archive",),
    ("Archive", "2023", "Q4"),
)

REGULAR_TYPES: tuple[str, ...] = (
    "pdf",
    "docx",
    "markdown",
    "html",
    "csv",
    "text",
    "google_doc",
    "google_sheet",
    "google_slides",
    "google_drawing",
)
SPECIAL_LABELS: tuple[str, ...] = (
    "empty",
    "duplicate_content",
    "shortcut",
    "trashed",
    "oversize",
    "unsupported_binary",
    "hostile_name",
    "export_too_large",
    "shared_with_me",
)
SHARED_BY = "morgan.lee@partner.example.com"  # owner of the shared_with_me entry
# Filler mix: mostly stored files, some native ones, drawings rare (as in a typical Drive).
_FILLER_WEIGHTS: tuple[int, ...] = (5, 4, 4, 3, 3, 4, 4, 2, 2, 1)

_EXTENSION = {"pdf": "pdf", "docx": "docx", "markdown": "md", "html": "html", "csv": "csv", "text": "txt"}
_MIME = {
    "pdf": "application/pdf",
    "docx": DOCX,
    "markdown": "text/markdown",
    "html": "text/html",
    "csv": "text/csv",
    "text": "text/plain",
}
_NATIVE_KIND = {
    "google_doc": "document",
    "google_sheet": "spreadsheet",
    "google_slides": "presentation",
    "google_drawing": "drawing",
}


def _stored_bytes(file_type: str, seed: int, index: int, doc_title: str) -> bytes:
    rng, marker = entry_rng(seed, index, "body"), marker_word(index)
    builders: dict[str, Callable[[], bytes]] = {
        "pdf": lambda: content.pdf_bytes(rng, doc_title, marker),
        "docx": lambda: content.docx_bytes(rng, doc_title, marker),
        "markdown": lambda: content.markdown_body(rng, doc_title, marker).encode("utf-8"),
        "html": lambda: content.html_page(rng, doc_title, marker).encode("utf-8"),
        "csv": lambda: content.csv_text(content.sheet_rows(rng, marker)).encode("utf-8"),
        "text": lambda: content.plain_text(rng, doc_title, marker).encode("utf-8"),
    }
    return builders[file_type]()


def _native(file_type: str, seed: int, index: int, doc_title: str) -> NativeDocument:
    rng, marker = entry_rng(seed, index, "body"), marker_word(index)
    kind = _NATIVE_KIND[file_type]
    if kind == "document":
        return NativeDocument(kind, doc_title, markdown=content.markdown_body(rng, doc_title, marker))
    if kind == "spreadsheet":
        return NativeDocument(kind, doc_title, sheets=content.sheets(rng, marker))
    if kind == "presentation":
        return NativeDocument(kind, doc_title, slides=content.slides(rng, doc_title, marker))
    return NativeDocument(kind, doc_title, markdown=content.drawing_labels(rng, marker))


def regular_file(
    file_type: str,
    seed: int,
    index: int,
    folder: tuple[str, ...],
    name: str | None = None,
    label: str | None = None,
    doc_title: str | None = None,
) -> CorpusFile:
    """Corpus entry `index` of a regular type; its text carries `marker_word(index)`.

    The document's title (its first heading) is `doc_title`, else the name without extension
    (a native file's name is its title in Drive), else a seeded one.
    """
    if doc_title is None:
        if name:
            doc_title = name.rsplit(".", 1)[0] if file_type in _EXTENSION else name
        else:
            doc_title = title(entry_rng(seed, index, "title"))
    if file_type in _NATIVE_KIND:
        native = _native(file_type, seed, index, doc_title)
        # Native files have no extension in Drive; the index keeps names unique across the corpus.
        return CorpusFile(
            folder,
            name or f"{doc_title} {index:04d}",
            native.mime_type,
            None,
            native=native,
            label=label or file_type,
        )
    return CorpusFile(
        folder,
        name or f"{doc_title} {index:04d}.{_EXTENSION[file_type]}",
        _MIME[file_type],
        _stored_bytes(file_type, seed, index, doc_title),
        label=label or file_type,
    )


@lru_cache(maxsize=2)
def _oversize_bytes(seed: int, size: int) -> bytes:
    # Repetition keeps this cheap; cached because a test suite builds many corpora of the same seed.
    unit = f"{paragraph(entry_rng(seed, 0, 'oversize'), 2)} {marker_word(0)}\n"
    return content.repeated(unit, size).encode("ascii", "replace")[:size]


@lru_cache(maxsize=2)
def _export_too_large_body(seed: int, index: int) -> str:
    rng, marker = entry_rng(seed, index, "body"), marker_word(index)
    section = f"## Appendix\n\n{paragraph(rng, 4, marker)}\n\n{paragraph(rng, 4)}\n\n"
    # Body past the limit by 10% so the Markdown, plain-text and any other export all exceed it.
    return f"# Transaction log export\n\n{content.repeated(section, EXPORT_SIZE_LIMIT * 11 // 10)}"


def hostile_name() -> str:
    """A name Drive accepts but a careless sync would trip on: traversal, RTL override, BEL, length."""
    stem = "../../etc/passwd \u202etxt.exe\x07 notes "
    return stem + "x" * (196 - len(stem)) + ".txt"


def _special_set(seed: int, oversize_bytes: int) -> list[CorpusFile]:
    """The fixed entries at fixed indices (0-19) that every corpus starts with."""
    alpha, notes, shared = ("Projects", "Alpha"), ("Projects", "Alpha", "Notes"), ("Shared Notes",)
    entries = [
        regular_file("pdf", seed, 0, alpha, "Project Alpha overview.pdf"),
        regular_file("docx", seed, 1, notes, "Kickoff minutes.docx"),
        regular_file("markdown", seed, 2, shared, "Team handbook.md"),
        regular_file("html", seed, 3, ("Projects", "Beta"), "Beta landing page.html"),
        regular_file("csv", seed, 4, ("Finance", "2024"), "Expenses 2024.csv"),
        regular_file("text", seed, 5, (), "Read me first.txt"),
        regular_file("google_doc", seed, 6, alpha, "Alpha design doc"),
        regular_file("google_sheet", seed, 7, ("Finance", "2024"), "Budget 2024"),
        regular_file("google_slides", seed, 8, ("Projects", "Beta"), "Beta pitch deck"),
        regular_file("google_drawing", seed, 9, shared, "Architecture diagram"),
        CorpusFile((), "Empty placeholder.txt", "text/plain", b"", label="empty"),
    ]
    original = regular_file("markdown", seed, 11, notes, "Retro notes.md", label="duplicate_content")
    entries.append(original)
    entries.append(
        CorpusFile(
            ("Archive",),
            "Retro notes (copy).md",
            "text/markdown",
            original.content,
            label="duplicate_content",
        )
    )
    # A shortcut elsewhere pointing at the PDF; Drive shortcuts take the target's name by default.
    entries.append(CorpusFile(shared, entries[0].name, GOOGLE_SHORTCUT, None, shortcut_to=0, label="shortcut"))
    trashed = regular_file("text", seed, 14, ("Projects",), "Old draft.txt", label="trashed")
    entries.append(
        CorpusFile(trashed.folder, trashed.name, trashed.mime_type, trashed.content, trashed=True, label="trashed")
    )
    entries += [
        CorpusFile(
            ("Archive",),
            "Server log archive.txt",
            "text/plain",
            _oversize_bytes(seed, oversize_bytes),
            label="oversize",
        ),
        CorpusFile(
            ("Projects", "Beta"),
            "whiteboard-photo.png",
            "image/png",
            render_png(32, 24, seed),
            label="unsupported_binary",
        ),
    ]
    hostile = regular_file("text", seed, 17, shared, hostile_name(), "hostile_name", "Odd name notes")
    entries.append(hostile)
    doc_title = "Transaction log export"
    entries.append(
        CorpusFile(
            ("Archive",),
            doc_title,
            "application/vnd.google-apps.document",
            None,
            native=NativeDocument("document", doc_title, _export_too_large_body(seed, 18)),
            label="export_too_large",
        )
    )
    # Someone else's document the user has in a folder of theirs: ownedByMe false, and the one entry
    # that can be unshared (DriveAccount.revoke_access) to model a loss of access.
    partner = regular_file("google_doc", seed, 19, shared, "Partner onboarding guide", label="shared_with_me")
    entries.append(replace(partner, owner=SHARED_BY))
    return entries


def generate_corpus(seed: int = 0, files: int = 40, oversize_bytes: int = 26 * 1024 * 1024) -> list[CorpusFile]:
    """`files` entries (never fewer than the special set), byte-identical for the same arguments.

    Entry i is the same whatever `files` is, so a small corpus is a prefix of a large one.
    """
    corpus = _special_set(seed, oversize_bytes)
    for index in range(len(corpus), files):
        rng = entry_rng(seed, index, "placement")
        file_type = rng.choices(REGULAR_TYPES, weights=_FILLER_WEIGHTS)[0]
        corpus.append(regular_file(file_type, seed, index, rng.choice(FOLDERS)))
    return corpus
