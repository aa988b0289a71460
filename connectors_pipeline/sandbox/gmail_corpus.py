"""A corpus of real MIME e-mail messages for the Gmail sandbox and the e-mail extractor's golden tests.

Every message is built with the stdlib `email` package and serialized as it would be sent over SMTP
(CRLF line ends). Dates, Message-IDs, boundaries and attachment bytes are fixed, so the corpus is the
same bytes on every run and the extractor's golden files stay valid. Only example.com/example.org
addresses appear.
"""

from __future__ import annotations

import email.policy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.text import MIMEText
from email.utils import format_datetime
from functools import lru_cache

from connectors_pipeline.domain.file_types import DOCX
from connectors_pipeline.sandbox.corpus_formats import build_docx, render_pdf, render_png

# The mailbox owner: the sender of the SENT message and a recipient of most others.
OWNER_ADDRESS = "pat.owner@example.com"
OWNER = f"Pat Owner <{OWNER_ADDRESS}>"

_SMTP_COMPAT32 = email.policy.compat32.clone(linesep="\r\n")
_BASE_TIME = datetime(2024, 3, 4, 9, 15, 0, tzinfo=timezone(timedelta(hours=1)))


@dataclass(frozen=True)
class CorpusMessage:
    name: str  # short stable key, e.g. "plain_ascii"
    raw: bytes  # the whole RFC 822 message as sent over SMTP
    label_ids: tuple[str, ...] = ("INBOX",)


def _date(index: int) -> str:
    return format_datetime(_BASE_TIME + timedelta(hours=7 * index, minutes=13 * index))


def _message_id(name: str) -> str:
    return f"<{name.replace('_', '-')}.20240304@mail.example.com>"


def _headers(
    msg: Message,
    name: str,
    index: int,
    subject: str | None,
    sender: str = "Alice Martin <alice@example.com>",
    to: str = OWNER,
) -> None:
    msg["From"] = sender
    msg["To"] = to
    if subject is not None:
        msg["Subject"] = subject
    msg["Date"] = _date(index)
    msg["Message-ID"] = _message_id(name)


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


def _serialize(msg: Message, name: str) -> bytes:
    _fix_structure(msg, name)
    if isinstance(msg, EmailMessage):
        return msg.as_bytes(policy=email.policy.SMTP)
    return msg.as_bytes(policy=_SMTP_COMPAT32)


# --- attachments -----------------------------------------------------------------------------------


def _pdf_attachment() -> bytes:
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


def _docx_attachment() -> bytes:
    return build_docx(
        "Project charter",
        [
            ("h", 1, "Project charter"),
            ("p", "The vault keeps every shared document searchable offline."),
            ("li", "Scope: Drive, Notion and Gmail"),
            ("li", "Owner: the platform team"),
        ],
    )


_CSV = "region,quarter,revenue\r\nNorth,Q1,1200\r\nSouth,Q1,980\r\nWest,Q1,1430\r\n"
_TXT = "Meeting checklist\n- book the room\n- send the agenda\n- share the slides\n"


# --- messages --------------------------------------------------------------------------------------


def _plain_ascii(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Quarterly planning notes")
    msg.set_content(
        "Hi Pat,\n\n"
        "Here are the notes from today's planning session:\n\n"
        "1. Ship the Drive connector by the end of March.\n"
        "2. Start the Notion connector in April.\n"
        "3. Review storage costs monthly.\n\n"
        "Best,\nAlice\n"
    )
    return _serialize(msg, name)


def _plain_utf8(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Café en terrasse ☕ demain ?", sender="Zoë Lefèvre <zoe@example.org>")
    msg.set_content(
        "Salut Pat,\n\n"
        "On se retrouve demain à 10h au café près de la gare ? 🙂\n"
        "Crème brûlée, smørrebrød et jalapeño au menu — déjà réservé 🎉.\n\n"
        "À bientôt,\nZoë\n",
        cte="8bit",
    )
    return _serialize(msg, name)


def _quoted_printable(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Release checklist for the vault", sender="Bob Chen <bob@example.org>")
    msg.set_content(
        "Hello team,\n\n"
        "This line is deliberately long so that quoted-printable has to wrap it with soft line breaks "
        "before the seventy-sixth column, and the reader must join it back together seamlessly.\n"
        "Equals signs like a=b and x = y must survive, as must naïve accents and a trailing space. \n\n"
        "Thanks,\nBob\n",
        cte="quoted-printable",
    )
    return _serialize(msg, name)


def _base64_body(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Server maintenance window", sender="Ops Team <ops@example.com>")
    msg.set_content(
        "Scheduled maintenance\n\n"
        "The file servers will be offline on Saturday from 02:00 to 04:00 UTC.\n"
        "No action is needed; syncs resume automatically afterwards.\n",
        cte="base64",
    )
    return _serialize(msg, name)


_NEWSLETTER_HTML = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Example Weekly</title>
<style>body { font-family: sans-serif; } .hidden-style-marker { color: #f00; }</style>
<script>window.trackingPixel = "script-must-not-leak";</script>
</head>
<body>
<h1>Example Weekly — issue 12</h1>
<p>Welcome to this week's <strong>digest</strong>. Read the
<a href="https://www.example.com/blog/vault">full story on our blog</a>.</p>
<table>
<tr><th>Team</th><th>Open tasks</th></tr>
<tr><td>Platform</td><td>14</td></tr>
<tr><td>Search</td><td>7</td></tr>
</table>
<ul><li>New: Gmail connector preview</li><li>Fixed: duplicate Notion pages</li></ul>
<script type="text/javascript">document.write("another-script-must-not-leak");</script>
<p><a href="https://www.example.com/unsubscribe">Unsubscribe</a></p>
</body>
</html>
"""


def _html_only(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Example Weekly — issue 12", sender="Example Weekly <news@example.com>")
    msg.set_content(_NEWSLETTER_HTML, subtype="html", cte="quoted-printable")
    return _serialize(msg, name)


def _alternative(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Lunch on Friday?", sender="Carol Diaz <carol@example.org>")
    msg.set_content("Hi Pat,\n\nAre you free for lunch on Friday at 12:30?\n\nCarol\n")
    msg.add_alternative(
        "<html><body><p>Hi Pat,</p><p>Are you free for <b>lunch</b> on Friday at 12:30?</p>"
        "<p>Carol</p></body></html>\n",
        subtype="html",
    )
    return _serialize(msg, name)


def _attachments(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Documents for the board meeting", sender="Dan Okafor <dan@example.com>")
    msg["Cc"] = "Erin Walsh <erin@example.org>"
    msg.set_content(
        "Hi Pat,\n\nAttached are the invoice, the charter, the figures, the checklist and a photo.\n\nDan\n"
    )
    msg.add_attachment(_pdf_attachment(), maintype="application", subtype="pdf", filename="invoice-2024-031.pdf")
    maintype, subtype = DOCX.split("/")
    msg.add_attachment(_docx_attachment(), maintype=maintype, subtype=subtype, filename="Project charter.docx")
    msg.add_attachment(_CSV.encode(), maintype="text", subtype="csv", filename="figures.csv")
    msg.add_attachment(_TXT, filename="checklist.txt")
    msg.add_attachment(render_png(24, 16, seed=3), maintype="image", subtype="png", filename="whiteboard.png")
    return _serialize(msg, name)


def _inline_image(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Our new logo", sender="Fay Brooks <fay@example.com>")
    msg.set_content("Hi Pat,\n\nThis is the new logo we agreed on (see below).\n\nFay\n")
    msg.add_alternative(
        "<html><body><p>Hi Pat,</p><p>This is the new logo we agreed on:</p>"
        '<p><img src="cid:logo.1@example.com" alt="Company logo"></p><p>Fay</p></body></html>\n',
        subtype="html",
    )
    html_part = msg.get_payload()[1]
    html_part.add_related(
        render_png(8, 8, seed=1), "image", "png", cid="<logo.1@example.com>", filename="logo.png", disposition="inline"
    )
    return _serialize(msg, name)


def _legacy_text(text: str, charset: str) -> MIMEText:
    """A single-part message in a legacy charset, as older clients still send them."""
    return MIMEText(text, "plain", charset)


def _iso_8859_1(name: str, index: int) -> bytes:
    msg = _legacy_text(
        "Bonjour Pat,\n\nLa réunion de l'équipe est déplacée à jeudi, salle Molière.\n"
        "Merci de confirmer votre présence ; le café sera offert.\n\nAmitiés,\nHélène\n",
        "iso-8859-1",
    )
    _headers(msg, name, index, None, sender="Helene Garnier <helene@example.org>")
    msg["Subject"] = Header("Réunion déplacée à jeudi", "iso-8859-1")
    return _serialize(msg, name)


def _windows_1252(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Budget “final” numbers", sender="Greg Novak <greg@example.com>")
    msg.set_content(
        "Hi Pat,\n\n"
        "The “final” budget is €12,500 – that’s what finance approved… don’t share it yet.\n"
        "Bullets: • travel • hardware • training\n\nGreg\n",
        charset="windows-1252",
        cte="quoted-printable",
    )
    return _serialize(msg, name)


def _iso_2022_jp(name: str, index: int) -> bytes:
    msg = _legacy_text(
        "パットさん\n\n来週の会議の資料を送ります。\nよろしくお願いします。\n\n山田\n",
        "iso-2022-jp",
    )
    _headers(msg, name, index, None, sender=f"{Header('山田 太郎', 'iso-2022-jp').encode()} <yamada@example.com>")
    msg["Subject"] = Header("来週の会議について", "iso-2022-jp")
    return _serialize(msg, name)


def _koi8_r(name: str, index: int) -> bytes:
    msg = _legacy_text(
        "Здравствуйте, Пэт!\n\nОтчёт за квартал готов, пришлю его завтра утром.\n\nС уважением,\nИван\n",
        "koi8-r",
    )
    _headers(msg, name, index, None, sender="Ivan Petrov <ivan@example.org>")
    msg["Subject"] = Header("Квартальный отчёт", "koi8-r")
    return _serialize(msg, name)


def _rfc2047_headers(name: str, index: int) -> bytes:
    """Written by hand: encoded words in several charsets and encodings, as mail clients emit them
    (the stdlib would re-encode them all as UTF-8)."""
    lines = [
        "From: =?UTF-8?B?w4ltaWxpZSBEdWJvaXM=?= <emilie@example.org>",
        f"To: =?ISO-8859-1?Q?Pat_Ow=F1er?= <{OWNER_ADDRESS}>",
        "Subject: =?ISO-8859-1?Q?Pr=E9sentation_?= =?UTF-8?B?8J+TiiByw6lzdWx0YXRz?=",
        " =?utf-8?q?_du_trimestre?=",
        f"Date: {_date(index)}",
        f"Message-ID: {_message_id(name)}",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 8bit",
        "",
        "Bonjour,",
        "",
        "Les résultats du trimestre sont en ligne.",
        "",
        "Émilie",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


def _original_for_forwarding() -> EmailMessage:
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


def _forwarded(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Fwd: Venue options for the offsite", sender="Dan Okafor <dan@example.com>")
    msg.set_content("Pat, see Hana's note below. I prefer the Old Mill.\n\nDan\n")
    msg.add_attachment(_original_for_forwarding())
    return _serialize(msg, name)


def _no_subject(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, None, sender="Bob Chen <bob@example.org>")
    msg.set_content("Sent from my phone: running ten minutes late.\n")
    return _serialize(msg, name)


def _many_recipients(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(
        msg,
        name,
        index,
        "Offsite agenda",
        sender="Hana Kim <hana@example.org>",
        to=f"{OWNER}, Dan Okafor <dan@example.com>, carol@example.org",
    )
    msg["Cc"] = "Erin Walsh <erin@example.org>, Greg Novak <greg@example.com>"
    msg.set_content(
        "Hello all,\n\nAgenda for 18 April:\n"
        "09:00 welcome\n10:00 roadmap review\n13:00 lunch\n14:00 workshops\n\nHana\n"
    )
    return _serialize(msg, name)


def _sent(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Re: Lunch on Friday?", sender=OWNER, to="Carol Diaz <carol@example.org>")
    msg["In-Reply-To"] = _message_id("alternative")
    msg["References"] = _message_id("alternative")
    msg.set_content("Friday works, see you at 12:30.\n\nPat\n")
    return _serialize(msg, name)


def _user_label(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Your receipt from Example Store", sender="Example Store <receipts@example.com>")
    msg.set_content("Thank you for your order #40211.\n\n1 x USB-C cable   9.90\nTotal            9.90\n")
    return _serialize(msg, name)


def _thread_reply(name: str, index: int) -> bytes:
    msg = EmailMessage()
    _headers(msg, name, index, "Re: Re: Storage migration plan", sender="Erin Walsh <erin@example.org>")
    msg["Cc"] = "Dan Okafor <dan@example.com>"
    msg["In-Reply-To"] = "<storage-plan-2.20240303@mail.example.com>"
    msg["References"] = "<storage-plan-1.20240302@mail.example.org> <storage-plan-2.20240303@mail.example.com>"
    quoted_earlier = "\n".join(
        f">> Step {n}: move bucket {n} to the new region and verify its checksums before deleting." for n in range(1, 9)
    )
    msg.set_content(
        "Agreed on all points. I'll take steps 1 to 4 next week.\n\n"
        "On Sun, 3 Mar 2024 at 18:02, Pat Owner <pat.owner@example.com> wrote:\n"
        "> Thanks Erin. Two questions:\n"
        "> - can we keep the old region read-only for a month?\n"
        "> - who signs off on the deletion?\n"
        ">\n"
        "> On Sat, 2 Mar 2024 at 11:40, Erin Walsh <erin@example.org> wrote:\n"
        f"{quoted_earlier}\n"
        ">>\n"
        ">> Erin\n"
    )
    return _serialize(msg, name)


_BUILDERS: tuple[tuple[str, Callable[[str, int], bytes], tuple[str, ...]], ...] = (
    ("plain_ascii", _plain_ascii, ("INBOX",)),
    ("plain_utf8", _plain_utf8, ("INBOX", "UNREAD")),
    ("quoted_printable", _quoted_printable, ("INBOX",)),
    ("base64_body", _base64_body, ("INBOX",)),
    ("html_only", _html_only, ("INBOX", "CATEGORY_PROMOTIONS")),
    ("alternative", _alternative, ("INBOX",)),
    ("attachments", _attachments, ("INBOX", "IMPORTANT")),
    ("inline_image", _inline_image, ("INBOX",)),
    ("iso_8859_1", _iso_8859_1, ("INBOX",)),
    ("windows_1252", _windows_1252, ("INBOX",)),
    ("iso_2022_jp", _iso_2022_jp, ("INBOX",)),
    ("koi8_r", _koi8_r, ("INBOX",)),
    ("rfc2047_headers", _rfc2047_headers, ("INBOX",)),
    ("forwarded", _forwarded, ("INBOX",)),
    ("no_subject", _no_subject, ("INBOX",)),
    ("many_recipients", _many_recipients, ("INBOX",)),
    ("sent", _sent, ("SENT",)),
    ("user_label", _user_label, ("INBOX", "Label_1")),
    ("thread_reply", _thread_reply, ("INBOX",)),
)


def mail_corpus() -> list[CorpusMessage]:
    """Every corpus message, oldest first; the same bytes on every call."""
    return list(_built_corpus())


@lru_cache(maxsize=1)
def _built_corpus() -> tuple[CorpusMessage, ...]:
    # Cached: the PDF and DOCX attachments take most of a second to build, and the bytes never change.
    return tuple(
        CorpusMessage(name, build(name, index), labels) for index, (name, build, labels) in enumerate(_BUILDERS)
    )
