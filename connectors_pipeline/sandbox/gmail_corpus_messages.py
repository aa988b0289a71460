"""The corpus messages: one builder each (name, position in the corpus) -> RFC 822 bytes, and the labels
each is filed under. What they have in common (headers, attachments, serialization) is in
gmail_corpus_parts.py."""

from __future__ import annotations

from collections.abc import Callable
from email.header import Header
from email.message import EmailMessage
from email.mime.text import MIMEText

from connectors_pipeline.domain.file_types import DOCX
from connectors_pipeline.sandbox.corpus_formats import render_png
from connectors_pipeline.sandbox.gmail_corpus_parts import (
    CSV_ATTACHMENT,
    DEFAULT_SENDER,
    OWNER,
    OWNER_ADDRESS,
    TXT_ATTACHMENT,
    docx_attachment,
    forwarded_original,
    message_date,
    message_id,
    pdf_attachment,
    serialize,
    set_headers,
    text_message,
)

# The texts of the single-part messages (_TEXT_ONLY below).
_PLANNING_NOTES = (
    "Hi Pat,\n\n"
    "Here are the notes from today's planning session:\n\n"
    "1. Ship the Drive connector by the end of March.\n"
    "2. Start the Notion connector in April.\n"
    "3. Review storage costs monthly.\n\n"
    "Best,\nAlice\n"
)
_CAFE = (
    "Salut Pat,\n\n"
    "On se retrouve demain à 10h au café près de la gare ? 🙂\n"
    "Crème brûlée, smørrebrød et jalapeño au menu — déjà réservé 🎉.\n\n"
    "À bientôt,\nZoë\n"
)
_RELEASE_CHECKLIST = (
    "Hello team,\n\n"
    "This line is deliberately long so that quoted-printable has to wrap it with soft line breaks "
    "before the seventy-sixth column, and the reader must join it back together seamlessly.\n"
    "Equals signs like a=b and x = y must survive, as must naïve accents and a trailing space. \n\n"
    "Thanks,\nBob\n"
)
_MAINTENANCE = (
    "Scheduled maintenance\n\n"
    "The file servers will be offline on Saturday from 02:00 to 04:00 UTC.\n"
    "No action is needed; syncs resume automatically afterwards.\n"
)
_BUDGET = (
    "Hi Pat,\n\n"
    "The “final” budget is €12,500 – that’s what finance approved… don’t share it yet.\n"
    "Bullets: • travel • hardware • training\n\nGreg\n"
)
_RECEIPT = "Thank you for your order #40211.\n\n1 x USB-C cable   9.90\nTotal            9.90\n"
_BOB = "Bob Chen <bob@example.org>"
_QP = {"cte": "quoted-printable"}

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


_LUNCH = (
    "Hi Pat,\n\nAre you free for lunch on Friday at 12:30?\n\nCarol\n",
    "<html><body><p>Hi Pat,</p><p>Are you free for <b>lunch</b> on Friday at 12:30?</p><p>Carol</p></body></html>\n",
)
_LOGO = (
    "Hi Pat,\n\nThis is the new logo we agreed on (see below).\n\nFay\n",
    "<html><body><p>Hi Pat,</p><p>This is the new logo we agreed on:</p>"
    '<p><img src="cid:logo.1@example.com" alt="Company logo"></p><p>Fay</p></body></html>\n',
)


def _in_text_and_html(name: str, index: int, subject: str, sender: str, plain: str, html: str) -> EmailMessage:
    """A message in plain text and HTML (multipart/alternative), as most clients send."""
    msg = EmailMessage()
    set_headers(msg, name, index, subject, sender=sender)
    msg.set_content(plain)
    msg.add_alternative(html, subtype="html")
    return msg


def _alternative(name: str, index: int) -> bytes:
    msg = _in_text_and_html(name, index, "Lunch on Friday?", "Carol Diaz <carol@example.org>", *_LUNCH)
    return serialize(msg, name)


def _attachments(name: str, index: int) -> bytes:
    msg = EmailMessage()
    set_headers(msg, name, index, "Documents for the board meeting", sender="Dan Okafor <dan@example.com>")
    msg["Cc"] = "Erin Walsh <erin@example.org>"
    msg.set_content(
        "Hi Pat,\n\nAttached are the invoice, the charter, the figures, the checklist and a photo.\n\nDan\n"
    )
    msg.add_attachment(pdf_attachment(), maintype="application", subtype="pdf", filename="invoice-2024-031.pdf")
    maintype, subtype = DOCX.split("/")
    msg.add_attachment(docx_attachment(), maintype=maintype, subtype=subtype, filename="Project charter.docx")
    msg.add_attachment(CSV_ATTACHMENT.encode(), maintype="text", subtype="csv", filename="figures.csv")
    msg.add_attachment(TXT_ATTACHMENT, filename="checklist.txt")
    msg.add_attachment(render_png(24, 16, seed=3), maintype="image", subtype="png", filename="whiteboard.png")
    return serialize(msg, name)


def _inline_image(name: str, index: int) -> bytes:
    msg = _in_text_and_html(name, index, "Our new logo", "Fay Brooks <fay@example.com>", *_LOGO)
    html_part = msg.get_payload()[1]
    html_part.add_related(
        render_png(8, 8, seed=1), "image", "png", cid="<logo.1@example.com>", filename="logo.png", disposition="inline"
    )
    return serialize(msg, name)


def _rfc2047_headers(name: str, index: int) -> bytes:
    """Written by hand: encoded words in several charsets and encodings, as mail clients emit them
    (the stdlib would re-encode them all as UTF-8)."""
    lines = [
        "From: =?UTF-8?B?w4ltaWxpZSBEdWJvaXM=?= <emilie@example.org>",
        f"To: =?ISO-8859-1?Q?Pat_Ow=F1er?= <{OWNER_ADDRESS}>",
        "Subject: =?ISO-8859-1?Q?Pr=E9sentation_?= =?UTF-8?B?8J+TiiByw6lzdWx0YXRz?=",
        " =?utf-8?q?_du_trimestre?=",
        f"Date: {message_date(index)}",
        f"Message-ID: {message_id(name)}",
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


def _forwarded(name: str, index: int) -> bytes:
    msg = EmailMessage()
    set_headers(msg, name, index, "Fwd: Venue options for the offsite", sender="Dan Okafor <dan@example.com>")
    msg.set_content("Pat, see Hana's note below. I prefer the Old Mill.\n\nDan\n")
    msg.add_attachment(forwarded_original())
    return serialize(msg, name)


def _many_recipients(name: str, index: int) -> bytes:
    msg = EmailMessage()
    set_headers(
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
    return serialize(msg, name)


def _sent(name: str, index: int) -> bytes:
    msg = EmailMessage()
    set_headers(msg, name, index, "Re: Lunch on Friday?", sender=OWNER, to="Carol Diaz <carol@example.org>")
    msg["In-Reply-To"] = message_id("alternative")
    msg["References"] = message_id("alternative")
    msg.set_content("Friday works, see you at 12:30.\n\nPat\n")
    return serialize(msg, name)


def _thread_reply(name: str, index: int) -> bytes:
    msg = EmailMessage()
    set_headers(msg, name, index, "Re: Re: Storage migration plan", sender="Erin Walsh <erin@example.org>")
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
    return serialize(msg, name)


# Single-part messages as current clients write them: name -> (subject, sender, text, set_content options).
_TEXT_ONLY: dict[str, tuple[str | None, str, str, dict[str, str]]] = {
    "plain_ascii": ("Quarterly planning notes", DEFAULT_SENDER, _PLANNING_NOTES, {}),
    "plain_utf8": ("Café en terrasse ☕ demain ?", "Zoë Lefèvre <zoe@example.org>", _CAFE, {"cte": "8bit"}),
    "quoted_printable": ("Release checklist for the vault", _BOB, _RELEASE_CHECKLIST, _QP),
    "base64_body": ("Server maintenance window", "Ops Team <ops@example.com>", _MAINTENANCE, {"cte": "base64"}),
    "html_only": (
        "Example Weekly — issue 12",
        "Example Weekly <news@example.com>",
        _NEWSLETTER_HTML,
        _QP | {"subtype": "html"},
    ),
    "windows_1252": (
        "Budget “final” numbers",
        "Greg Novak <greg@example.com>",
        _BUDGET,
        _QP | {"charset": "windows-1252"},
    ),
    "no_subject": (None, _BOB, "Sent from my phone: running ten minutes late.\n", {}),
    "user_label": ("Your receipt from Example Store", "Example Store <receipts@example.com>", _RECEIPT, {}),
}

# Single-part messages in legacy charsets, as older clients still send them, the subject an RFC 2047
# word in the same charset: name -> (subject, sender, text, charset).
_LEGACY: dict[str, tuple[str, str, str, str]] = {
    "iso_8859_1": (
        "Réunion déplacée à jeudi",
        "Helene Garnier <helene@example.org>",
        "Bonjour Pat,\n\nLa réunion de l'équipe est déplacée à jeudi, salle Molière.\n"
        "Merci de confirmer votre présence ; le café sera offert.\n\nAmitiés,\nHélène\n",
        "iso-8859-1",
    ),
    "iso_2022_jp": (
        "来週の会議について",
        f"{Header('山田 太郎', 'iso-2022-jp').encode()} <yamada@example.com>",
        "パットさん\n\n来週の会議の資料を送ります。\nよろしくお願いします。\n\n山田\n",
        "iso-2022-jp",
    ),
    "koi8_r": (
        "Квартальный отчёт",
        "Ivan Petrov <ivan@example.org>",
        "Здравствуйте, Пэт!\n\nОтчёт за квартал готов, пришлю его завтра утром.\n\nС уважением,\nИван\n",
        "koi8-r",
    ),
}


def _text_only(name: str, index: int) -> bytes:
    subject, sender, text, content = _TEXT_ONLY[name]
    return text_message(name, index, subject, text, sender, **content)


def _legacy(name: str, index: int) -> bytes:
    subject, sender, text, charset = _LEGACY[name]
    msg = MIMEText(text, "plain", charset)
    set_headers(msg, name, index, None, sender=sender)
    msg["Subject"] = Header(subject, charset)
    return serialize(msg, name)


MESSAGES: tuple[tuple[str, Callable[[str, int], bytes], tuple[str, ...]], ...] = (
    ("plain_ascii", _text_only, ("INBOX",)),
    ("plain_utf8", _text_only, ("INBOX", "UNREAD")),
    ("quoted_printable", _text_only, ("INBOX",)),
    ("base64_body", _text_only, ("INBOX",)),
    ("html_only", _text_only, ("INBOX", "CATEGORY_PROMOTIONS")),
    ("alternative", _alternative, ("INBOX",)),
    ("attachments", _attachments, ("INBOX", "IMPORTANT")),
    ("inline_image", _inline_image, ("INBOX",)),
    ("iso_8859_1", _legacy, ("INBOX",)),
    ("windows_1252", _text_only, ("INBOX",)),
    ("iso_2022_jp", _legacy, ("INBOX",)),
    ("koi8_r", _legacy, ("INBOX",)),
    ("rfc2047_headers", _rfc2047_headers, ("INBOX",)),
    ("forwarded", _forwarded, ("INBOX",)),
    ("no_subject", _text_only, ("INBOX",)),
    ("many_recipients", _many_recipients, ("INBOX",)),
    ("sent", _sent, ("SENT",)),
    ("user_label", _text_only, ("INBOX", "Label_1")),
    ("thread_reply", _thread_reply, ("INBOX",)),
)
