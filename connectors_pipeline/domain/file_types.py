"""The file types the vault understands, keyed by MIME type; policy allows or forbids them by name."""

from __future__ import annotations

GOOGLE_DOC = "application/vnd.google-apps.document"
GOOGLE_SHEET = "application/vnd.google-apps.spreadsheet"
GOOGLE_SLIDES = "application/vnd.google-apps.presentation"
GOOGLE_DRAWING = "application/vnd.google-apps.drawing"
GOOGLE_FOLDER = "application/vnd.google-apps.folder"
GOOGLE_SHORTCUT = "application/vnd.google-apps.shortcut"

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

NOTION_PAGE = "application/vnd.notion.page"
NOTION_DATABASE = "application/vnd.notion.database"  # a data source: its schema (its rows are pages)
EMAIL = "message/rfc822"

FILE_TYPE_BY_MIME: dict[str, str] = {
    "application/pdf": "pdf",
    DOCX: "docx",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/html": "html",
    "text/csv": "csv",
    "text/plain": "text",
    GOOGLE_DOC: "google_doc",
    GOOGLE_SHEET: "google_sheet",
    GOOGLE_SLIDES: "google_slides",
    GOOGLE_DRAWING: "google_drawing",
    NOTION_PAGE: "notion_page",
    NOTION_DATABASE: "notion_database",
    EMAIL: "email",
}

SUPPORTED_FILE_TYPES: frozenset[str] = frozenset(FILE_TYPE_BY_MIME.values())

# Export targets as short names (for ORG_CONNECTORS_ALLOWED_EXPORT_FORMATS) and MIME types.
EXPORT_FORMATS: dict[str, str] = {
    "markdown": "text/markdown",
    "text": "text/plain",
    "csv": "text/csv",
    "pdf": "application/pdf",
    "html": "text/html",
    "docx": DOCX,
}


def file_type_of(mime_type: str) -> str | None:
    """The vault file type of a MIME type, or None when the vault cannot read it."""
    return FILE_TYPE_BY_MIME.get(mime_type.split(";")[0].strip().lower())


def is_provider_native(mime_type: str) -> bool:
    """Documents that exist only inside their provider and are exported (rendered) to be fetched."""
    return mime_type.startswith(("application/vnd.google-apps.", "application/vnd.notion."))


# The parts of an e-mail read as its body (when they carry no filename); the rest are attachments.
EMAIL_BODY_TYPES: tuple[str, ...] = ("text/plain", "text/html")
# Set by the Gmail provider on a part it left out, with the SkipReason value; extraction names the part
# and the reason instead of its text.
OMITTED_HEADER = "X-Connectors-Omitted"
