"""What the mail corpus (gmail_corpus.py) builds its messages from: fixed header fields, the attachment
files, and serialization as over SMTP with fixed boundaries, so every run gives the same bytes."""

from __future__ import annotations

import email.policy
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage, Message
from email.utils import format_datetime

from connectors_pipeline.sandbox.corpus_formats import build_docx, render_pdf

# The mailbox owner: the sender of the SENT message and a recipient of most others.
OWNER_ADDRESS = "pat.owner@example.com"
OWNER = f"Pat Owner <{OWNER_ADDRESS}>"
DEFAULT_SENDER = "Alice Martin <alice@example.com>"

_BASE_TIME = datetime(2024, 3, 4, 9, 15, 0, tzinfo=timezone(timedelta(hours=1)))
_SMTP_COMPAT32 = email.policy.compat32.clone(linesep="\r\n")


def message_date(index: int) -> str:
    return format_datetime(_BASE_TIME + timedelta(hours=7 * index, minutes=13 * index))


def message_id(name: str) -> str:
    return f"<{name.replace('_', '-')}.20240304@mail.example.com>"


def set_headers(
    msg: Message,
    name: str,
    index: int,
    subject: str | None,
    sender: str = DEFAULT_SENDER,
    to: str = OWNER,
) -> None:
    msg["From"] = sender
    msg["To"] = to
    if subject is not None:
        msg["Subject"] = subject
    msg["Date"] = message_date(index)
    msg["Message-ID"] = message_id(name)


def serialize(msg: Message, name: str) -> bytes:
    _fix_structure(msg, name)
    if isinstance(msg, EmailMessage):
        return msg.as_bytes(policy=email.policy.SMTP)
    return msg.as_bytes(policy=_SMTP_COMPAT32)


def text_message(
    name: str, index: int, subject: str | None, text: str, sender: str = DEFAULT_SENDER, **content: str
) -> bytes:
    """A single-part message of `text`; `content` is set_content's (subtype, charset, cte)."""
    msg = EmailMessage()
    set_headers(msg, name, index, subject, sender=sender)
    msg.set_content(text, **content)
    return serialize(msg, name)


def _fix_structure(msg: Message, name: str) -> None:
    """Fixed multipart boundaries (the stdlib draws random ones at serialization otherwise), and
    MIME-Version only at the top, where mail clients put it (the stdlib stamps it on every part)."""
    for number, part in enumerate(msg.walk()):
        if part.get_content_maintype() == "multipart":
            part.set_boundary(f"=_{name}_{number}")
    _strip_part_mime_versions(msg, top=True)


def _strip_part_mime_versions(msg: Message, top: bool) -> None:
    if not top:
        del msg["MIME-Version"]
    if msg.get_content_type() == "message/rfc822":
        for inner in msg.get_payload():
            _strip_part_mime_versions(inner, top=True)  # an embedded message keeps its own
    elif msg.is_multipart():
        for part in msg.get_payload():
            _strip_part_mime_versions(part, top=False)


# --- attachments -----------------------------------------------------------------------------------


def pdf_attachment() -> bytes:
    return render_pdf(
        "Invoice 2024-031",
        [
            [
                ("h", 0, "Invoice 2024-031"),
                ("p", "Billed to Example Org for consulting in February 2024."),
                ("table", [["Item", "Hours", "Amount"], ["Workshop", "6", "900.00"], ["Report", "4", "600.00"]]),
                ("p", "Total due: 1500.00 EUR within 30 days."),
            ]
        ],
    )


def docx_attachment() -> bytes:
    return build_docx(
        "Project charter",
        [
            ("h", 1, "Project charter"),
            ("p", "The vault keeps every shared document searchable offline."),
            ("li", "Scope: Drive, Notion and Gmail"),
            ("li", "Owner: the platform team"),
        ],
    )


def forwarded_original() -> EmailMessage:
    """The message the corpus forwards as an attachment (message/rfc822), with an attachment of its own."""
    original = EmailMessage()
    original["From"] = "Hana Kim <hana@example.org>"
    original["To"] = "Dan Okafor <dan@example.com>"
    original["Subject"] = "Venue options for the offsite"
    original["Date"] = format_datetime(_BASE_TIME - timedelta(days=3))
    original["Message-ID"] = "<venue-options.20240301@mail.example.org>"
    original.set_content(
        "Hi Dan,\n\nTwo venues are still free on 18 April: the Harbour Hall and the Old Mill.\n"
        "Prices are in the attached list.\n\nHana\n"
    )
    original.add_attachment(
        "venue,capacity,price\nHarbour Hall,80,2400\nOld Mill,60,1900\n", subtype="csv", filename="venues.csv"
    )
    return original


CSV_ATTACHMENT = "region,quarter,revenue\r\nNorth,Q1,1200\r\nSouth,Q1,980\r\nWest,Q1,1430\r\n"
TXT_ATTACHMENT = "Meeting checklist\n- book the room\n- send the agenda\n- share the slides\n"
