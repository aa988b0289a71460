"""E-mail extraction: every sandbox corpus message against its golden file, plus charsets, attachments,
nesting, policy omissions and bombs.

The golden files in golden_email/ are the spec of the output format; after an intended change, rewrite
them with `UPDATE_GOLDEN=1 .venv/bin/pytest connectors_pipeline_tests/extract/test_extract_email.py` and
review the diff by eye.
"""

from __future__ import annotations

import email.policy
import os
import pathlib
import re
import time
from email.message import EmailMessage

import pytest
import yaml

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract import Extracted, ExtractionLimits, extract
from connectors_pipeline.extract.email import MAX_ATTACHMENTS, MAX_MESSAGE_DEPTH, MAX_PART_DEPTH, MAX_PARTS
from connectors_pipeline.sandbox.gmail_corpus import mail_corpus
from connectors_pipeline.sync.extraction_pool import extract_all

GOLDEN = pathlib.Path(__file__).parent / "golden_email"
CORPUS = {message.name: message for message in mail_corpus()}


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text[4 : text.index("\n---\n")])


def _raw(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=email.policy.SMTP)


def _message(body: str = "Body text.\n", subject: str = "Test") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Alice <alice@example.com>"
    msg["To"] = "pat@example.com"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 04 Mar 2024 09:15:00 +0000"
    msg["Message-ID"] = "<test@example.com>"
    msg.set_content(body)
    return msg


def _body_with_charset(body: bytes, charset: str) -> bytes:
    return (
        b"From: alice@example.com\r\nTo: pat@example.com\r\nSubject: Charset\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )


def _extract(write, raw: bytes, mime: str = "message/rfc822", **kwargs) -> Extracted:
    return extract(write("message.eml", raw), mime, **kwargs)


@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus_message_extracts_to_its_golden_file(write, name):
    result = _extract(write, CORPUS[name].raw)
    golden = GOLDEN / f"{name}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.text + "\n", encoding="utf-8")
    assert result.extractor == "email"
    assert result.text + "\n" == golden.read_text(encoding="utf-8")
    assert result.title == _front_matter(result.text)["subject"]


def test_every_golden_file_belongs_to_a_corpus_message():
    assert sorted(path.stem for path in GOLDEN.glob("*.md")) == sorted(CORPUS)


def test_html_only_message_keeps_table_and_links_but_no_script_or_style(write):
    text = _extract(write, CORPUS["html_only"].raw).text
    assert "| Platform | 14 |" in text
    assert "[full story on our blog](https://www.example.com/blog/vault)" in text
    for leaked in ("script-must-not-leak", "trackingPixel", "hidden-style-marker", "font-family", "<"):
        assert leaked not in text.split("\n---\n", 1)[1]


@pytest.mark.parametrize(
    ("body", "charset", "fallback", "expected"),
    [
        ("naïve café".encode(), "us-ascii", None, "naïve café"),  # declares ASCII, sends UTF-8
        ("“quoted” €5".encode("cp1252"), "utf-8", "windows-1252", "“quoted” €5"),  # lies; the fallback reads it
        ("“quoted” €5".encode("cp1252"), "iso-8859-1", None, "“quoted” €5"),  # Latin-1 read as its superset
        ("Grüße".encode(), "x-klingon", None, "Grüße"),  # unknown label
        ("Grüße".encode(), "zlib", None, "Grüße"),  # a codec, but not a text encoding
        ("Grüße".encode("latin-1"), "x-klingon", None, "Gr\ufffd\ufffde"),  # nothing fits: replaced
        ("日本語".encode("shift_jis"), "shift_jis", None, "日本語"),
    ],
    ids=["ascii-is-utf8", "lying-utf8", "latin1-superset", "unknown", "not-text", "unreadable", "shift-jis"],
)
def test_body_charset_falls_back_without_failing(write, body, charset, fallback, expected):
    mime = f"message/rfc822; charset={fallback}" if fallback else "message/rfc822"
    text = _extract(write, _body_with_charset(body, charset), mime).text
    assert text.endswith(f"# Charset\n\n{expected}")


def test_headers_only_message_renders_front_matter_and_title(write):
    # What the Gmail provider writes for a message fetched in "metadata" format.
    raw = (
        b"From: =?UTF-8?Q?Zo=C3=AB?= <zoe@example.org>\r\nTo: pat@example.com, bob@example.org\r\n"
        b"Subject: Headers only\r\nDate: yesterday-ish\r\nMessage-ID: <h@example.org>\r\n"
        b"Content-Type: multipart/mixed; boundary=x\r\n"
    )
    result = _extract(write, raw)
    assert result.title == "Headers only"
    assert result.text == (
        "---\nsubject: Headers only\nfrom: Zoë <zoe@example.org>\nto:\n- pat@example.com\n- bob@example.org\n"
        "date: yesterday-ish\nmessage_id: <h@example.org>\n---\n\n# Headers only"
    )


def test_attachment_left_out_by_policy_is_named_with_the_reason(write):
    msg = _message()
    msg.add_attachment(b"", maintype="application", subtype="x-msdownload", filename="setup.exe")
    omitted = msg.get_payload()[1]
    omitted["X-Connectors-Omitted"] = "file type .exe is not allowed by policy 'no-binaries'"
    result = _extract(write, _raw(msg))
    assert _front_matter(result.text)["attachments"] == ["setup.exe"]
    assert result.text.endswith(
        "## Attachment: setup.exe\n\n_(left out by policy: file type .exe is not allowed by policy 'no-binaries')_"
    )


def test_a_part_the_vault_cannot_read_is_named_as_unsupported_not_as_forbidden(write):
    msg = _message()
    msg.add_attachment(b"", maintype="image", subtype="png", filename="photo.png")
    msg.get_payload()[1]["X-Connectors-Omitted"] = "unsupported_type"
    text = _extract(write, _raw(msg)).text
    assert text.endswith("## Attachment: photo.png\n\n_(left out: unsupported_type, not a file type the vault reads)_")
    assert "by policy" not in text


def test_forwarded_message_inside_forwarded_message_nests_sections(write):
    inner = _message("The original words.\n", subject="Original")
    middle = _message("First forward.\n", subject="Fwd: Original")
    middle.add_attachment(inner)
    outer = _message("Second forward.\n", subject="Fwd: Fwd: Original")
    outer.add_attachment(middle)
    text = _extract(write, _raw(outer)).text
    assert text.split("---\n\n", 1)[1] == (
        "# Fwd: Fwd: Original\n\nSecond forward.\n\n"
        "## Forwarded message: Fwd: Original\n\n"
        "- From: Alice <alice@example.com>\n- To: pat@example.com\n- Date: 2024-03-04T09:15:00+00:00\n"
        "- Subject: Fwd: Original\n\nFirst forward.\n\n"
        "### Forwarded message: Original\n\n"
        "- From: Alice <alice@example.com>\n- To: pat@example.com\n- Date: 2024-03-04T09:15:00+00:00\n"
        "- Subject: Original\n\nThe original words."
    )
    assert "attachments" not in _front_matter(text)  # forwarded messages are sections, not files


def test_attachment_file_names_are_made_safe_to_show(write):
    msg = _message()
    msg.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="report\u202ecsv.exe\x07.csv")
    text = _extract(write, _raw(msg)).text
    assert _front_matter(text)["attachments"] == ["reportcsv.exe.csv"]
    assert "## Attachment: reportcsv.exe.csv\n\n| a | b |" in text


def test_generic_attachment_is_chosen_by_its_file_suffix(write, make_pdf):
    msg = _message()
    msg.add_attachment(
        make_pdf(["Scanned receipt 4711"]), maintype="application", subtype="octet-stream", filename="scan.pdf"
    )
    msg.add_attachment(
        _raw(_message("Attached as a file.\n", subject="Saved mail")),
        maintype="application",
        subtype="octet-stream",
        filename="saved.eml",
    )
    text = _extract(write, _raw(msg)).text
    assert "## Attachment: scan.pdf\n\nScanned receipt 4711" in text
    assert text.endswith(
        "## Attachment: saved.eml\n\n- From: Alice <alice@example.com>\n- To: pat@example.com\n"
        "- Date: 2024-03-04T09:15:00+00:00\n- Subject: Saved mail\n\nAttached as a file."
    )


def test_attachment_over_the_text_budget_is_noted_and_the_message_kept(write):
    msg = _message("Short body.\n")
    msg.add_attachment("x" * 5_000, filename="big.txt")
    result = _extract(write, _raw(msg), limits=ExtractionLimits(max_text_chars=1_000))
    assert "Short body." in result.text
    assert re.search(r"## Attachment: big\.txt\n\n_\(not extracted: text longer than \d+ characters\)_$", result.text)
    assert len(result.text) <= 1_000


def test_body_over_the_text_budget_is_refused(write):
    with pytest.raises(ExtractionError, match="text longer than 1000 characters"):
        _extract(write, _raw(_message("y" * 5_000)), limits=ExtractionLimits(max_text_chars=1_000))


def test_attachment_bomb_extracts_a_bounded_number_and_counts_the_rest(write):
    msg = _message()
    for n in range(MAX_ATTACHMENTS + 150):
        msg.add_attachment(f"note {n}\n", filename=f"note-{n}.txt")
    started = time.monotonic()
    text = _extract(write, _raw(msg)).text
    assert time.monotonic() - started < 10
    assert text.count("## Attachment: ") == MAX_ATTACHMENTS
    assert text.endswith("_(150 more attachments not extracted: over 50 in one message)_")
    names = _front_matter(text)["attachments"]
    assert len(names) == MAX_ATTACHMENTS + 1 and names[-1] == "… and 150 more"


def test_deeply_forwarded_message_is_cut_at_the_depth_limit(write):
    msg = _message("level 0\n", subject="level 0")
    for level in range(1, 20):
        outer = _message(f"level {level}\n", subject=f"level {level}")
        outer.add_attachment(msg)
        msg = outer
    text = _extract(write, _raw(msg)).text
    assert text.count("Forwarded message: ") == MAX_MESSAGE_DEPTH
    assert text.endswith(f"_(not extracted: messages nested more than {MAX_MESSAGE_DEPTH} deep)_")


def test_attached_eml_files_share_the_depth_limit(write):
    raw = _raw(_message("innermost\n", subject="innermost"))
    for level in range(12):
        outer = _message(f"level {level}\n", subject=f"level {level}")
        outer.add_attachment(raw, maintype="application", subtype="octet-stream", filename=f"level-{level}.eml")
        raw = _raw(outer)
    text = _extract(write, raw).text
    assert "innermost" not in text
    assert f"_(not extracted: messages nested more than {MAX_MESSAGE_DEPTH} deep)_" in text


def test_deeply_nested_multiparts_are_left_out_and_counted(write):
    leaf = b"Content-Type: text/plain\r\n\r\ndeep leaf\r\n"
    for depth in range(100):
        leaf = b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n%s\r\n--b%d--\r\n' % (
            depth,
            depth,
            leaf,
            depth,
        )
    text = _extract(write, b"Subject: deep\r\n" + leaf).text
    assert "deep leaf" not in text
    assert text.endswith(
        f"_(left out: 1 MIME parts past the limits of {MAX_PARTS} parts or {MAX_PART_DEPTH} levels of nesting)_"
    )


def test_nesting_beyond_the_parser_is_refused_with_a_reason(write):
    leaf = b"Content-Type: text/plain\r\n\r\nleaf\r\n"
    for depth in range(3_000):
        leaf = b'Content-Type: multipart/mixed; boundary="%d"\r\n\r\n--%d\r\n%s\r\n--%d--\r\n' % (
            depth,
            depth,
            leaf,
            depth,
        )
    with pytest.raises(ExtractionError, match="e-mail message nested too deeply to parse"):
        _extract(write, b"Subject: deeper\r\n" + leaf)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"just a line of text, no header at all", "not an e-mail message: no header fields found"),
        (
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
            r"content type mismatch: the bytes are a PNG image, not an e-mail message as declared",
        ),
    ],
    ids=["no-headers", "png"],
)
def test_bytes_that_are_no_message_are_refused(write, content, reason):
    with pytest.raises(ExtractionError, match=reason):
        _extract(write, content)


def test_message_with_a_pdf_attachment_extracts_through_the_worker_process(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(CORPUS["attachments"].raw)

    [result] = extract_all([(path, "message/rfc822", "board.eml")])

    assert isinstance(result, Extracted), result
    assert result.title == "Documents for the board meeting"
    assert "## Attachment: invoice-2024-031.pdf\n\nInvoice 2024-031" in result.text
    assert "Total due: 1500.00 EUR within 30 days." in result.text


def test_recipient_list_is_cut_with_a_count(write):
    to = ", ".join(f"user{n}@example.org" for n in range(300))
    text = _extract(write, f"From: a@example.com\r\nTo: {to}\r\nSubject: s\r\n\r\nbody\r\n".encode()).text
    to_shown = _front_matter(text)["to"]
    assert to_shown[:2] == ["user0@example.org", "user1@example.org"]
    assert to_shown[100:] == ["… and 200 more"]


@pytest.mark.parametrize(
    "header",
    [
        "To: " + ", ".join(f"user{n} <u{n}@example.org>" for n in range(20_000)),
        "To: u@example.org\r\n" * 50_000,
        "Subject: " + " ".join(["=?utf-8?q?abc?="] * 20_000),
        "Content-Type: text/plain; " + "; ".join(f"p{n}=v{n}" for n in range(20_000)),
    ],
    ids=["huge-address-list", "repeated-field", "many-encoded-words", "many-parameters"],
)
def test_crafted_header_is_parsed_in_bounded_time(write, header):
    raw = f"From: a@example.com\r\n{header.rstrip()}\r\n\r\nbody\r\n".encode()
    started = time.monotonic()
    result = _extract(write, raw)
    assert time.monotonic() - started < 3  # unbounded, each took 6 to 10 seconds
    assert result.text.endswith("\n\nbody")


def test_part_bomb_is_walked_up_to_the_part_limit(write):
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\np%d\r\n" % n for n in range(MAX_PARTS + 500))
    raw = b'Subject: parts\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' + parts + b"--b--\r\n"
    started = time.monotonic()
    text = _extract(write, raw).text
    assert time.monotonic() - started < 5
    assert f"\n\np{MAX_PARTS - 2}\n\n" in text and f"p{MAX_PARTS - 1}\n" not in text  # the root is a part too
    assert text.endswith(f"_(left out: 501 MIME parts past the limits of {MAX_PARTS} parts or 16 levels of nesting)_")
