"""GmailProvider.fetch: headers only, or the whole message rebuilt, attachments as the policy allows."""

from __future__ import annotations

import email
import email.policy
import io
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from connectors_pipeline.domain.errors import NotFoundError
from connectors_pipeline.domain.file_types import file_type_of
from connectors_pipeline.providers.base import AttachmentRules, ExportPlan, Scope
from connectors_pipeline.sandbox import seed_gmail
from connectors_pipeline_tests.gmail_world import EMAIL, GmailWorld, compose, gmail_world

PDF = b"%PDF-1.4\n% a tiny pdf\n" + bytes(range(256))
METADATA = ExportPlan(message_content="metadata")


@pytest.fixture
def world() -> Iterator[GmailWorld]:
    yield from gmail_world()


def full(allowed: frozenset[str] | None = None, max_bytes: int | None = None) -> ExportPlan:
    return ExportPlan(message_content="full", attachments=AttachmentRules(allowed, max_bytes))


def fetched(world: GmailWorld, msg_id: str, plan: ExportPlan) -> EmailMessage:
    provider = world.provider(plan=plan)
    item = provider.locate(msg_id)
    assert item is not None
    out = io.BytesIO()
    provenance = provider.fetch(item, plan, out)
    assert (provenance.method, provenance.source_mime, provenance.content_mime) == (
        "download",
        "message/rfc822",
        "message/rfc822",
    )
    return email.message_from_bytes(out.getvalue(), policy=email.policy.default)  # type: ignore[return-value]


def attachments_of(message: EmailMessage) -> dict[str, EmailMessage]:
    return {part.get_filename(): part for part in message.iter_attachments()}  # type: ignore[misc]


def test_metadata_fetch_keeps_the_reader_headers_and_no_body(world: GmailWorld) -> None:
    raw = compose(
        "Quarterly — numbers",
        "Secret body text",
        sender="Zoë Adams <zoe@example.org>",
        headers={"Cc": "team@example.org", "X-Mailer": "Tests"},
        attachments=[("q.pdf", "application/pdf", PDF)],
    )
    message = fetched(world, world.mailbox.add_message(raw), METADATA)
    assert message["Subject"] == "Quarterly — numbers"
    assert message["From"] == "Zoë Adams <zoe@example.org>"
    assert (message["To"], message["Cc"]) == ("ada@example.com", "team@example.org")
    assert message["Date"] and message["Message-ID"]
    assert message["X-Mailer"] is None
    assert not message.is_multipart() and message.get_content().strip() == ""


def test_full_fetch_rebuilds_text_html_and_allowed_attachments(world: GmailWorld) -> None:
    raw = compose(
        "Report",
        "See the attached report.",
        html="<p>See the <b>attached</b> report.</p>",
        attachments=[("report.pdf", "application/pdf", PDF), ("data.csv", "application/octet-stream", b"a,b\n1,2\n")],
    )
    msg_id = world.mailbox.add_message(raw)
    before = len(world.state.requests_to(r"/attachments/"))
    message = fetched(world, msg_id, full(frozenset({"pdf", "csv", "text", "html"})))
    assert message["Subject"] == "Report"
    assert message.get_body(("plain",)).get_content().strip() == "See the attached report."  # type: ignore[union-attr]
    assert "<b>attached</b>" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    parts = attachments_of(message)
    assert parts["report.pdf"].get_content() == PDF
    assert parts["data.csv"].get_content() == b"a,b\n1,2\n"  # allowed by its name: csv
    assert len(world.state.requests_to(r"/attachments/")) == before + 2


def test_attachments_left_out_say_whether_unreadable_forbidden_or_too_large(world: GmailWorld) -> None:
    raw = compose(
        "Photos",
        "Three files.",
        attachments=[
            ("cat.png", "image/png", b"\x89PNG fake"),
            ("notes.csv", "text/csv", b"a,b\n"),
            ("big.pdf", "application/pdf", PDF),
        ],
    )
    msg_id = world.mailbox.add_message(raw)
    before = len(world.state.requests_to(r"/attachments/"))
    message = fetched(world, msg_id, full(frozenset({"pdf", "text"}), max_bytes=100))
    parts = attachments_of(message)
    assert parts["cat.png"]["X-Connectors-Omitted"] == "unsupported_type"  # no rule forbids it: nothing reads it
    assert parts["notes.csv"]["X-Connectors-Omitted"] == "policy_file_type"
    assert parts["big.pdf"]["X-Connectors-Omitted"] == "policy_max_size"
    assert all(part.get_payload() == "" for part in parts.values())
    assert parts["big.pdf"].get_content_type() == "application/pdf"  # its headers stay
    assert len(world.state.requests_to(r"/attachments/")) == before  # nothing downloaded
    assert message.get_body(("plain",)).get_content().strip() == "Three files."  # type: ignore[union-attr]


def _fetched_bytes(world: GmailWorld, msg_id: str, plan: ExportPlan) -> bytes:
    provider = world.provider(plan=plan)
    item = provider.locate(msg_id)
    assert item is not None
    out = io.BytesIO()
    provider.fetch(item, plan, out)
    return out.getvalue()


def test_an_attachment_that_fits_alone_but_not_base64_encoded_is_left_out_and_the_body_kept(
    world: GmailWorld,
) -> None:
    attachment = PDF * 12  # 3.3 KB: under the limit alone, about 4.5 KB in base64
    msg_id = world.mailbox.add_message(
        compose("Scan", "The scan is attached.", attachments=[("scan.pdf", "application/pdf", attachment)])
    )
    limit = len(attachment) + 500
    raw = _fetched_bytes(world, msg_id, full(max_bytes=limit))
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert len(raw) <= limit  # what the sync judges the message by: it is not skipped as too large
    assert attachments_of(message)["scan.pdf"]["X-Connectors-Omitted"] == "policy_max_size"  # type: ignore[arg-type]
    assert message.get_body(("plain",)).get_content().strip() == "The scan is attached."  # type: ignore[union-attr]


def test_attachments_fill_the_message_up_to_the_byte_exactly(world: GmailWorld) -> None:
    msg_id = world.mailbox.add_message(
        compose(
            "Two files",
            "Both attached.",
            attachments=[("a.pdf", "application/pdf", PDF * 3), ("b.pdf", "application/pdf", PDF * 2)],
        )
    )
    whole = len(_fetched_bytes(world, msg_id, full()))
    for limit, kept in ((whole, {"a.pdf", "b.pdf"}), (whole - 1, {"a.pdf"}), (len(PDF * 3), set())):
        raw = _fetched_bytes(world, msg_id, full(max_bytes=limit))
        parts = attachments_of(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
        assert len(raw) <= limit
        assert {name for name, part in parts.items() if part["X-Connectors-Omitted"] is None} == kept, limit
    assert len(_fetched_bytes(world, msg_id, full(max_bytes=whole))) == whole


def test_a_large_text_body_sent_by_attachment_id_arrives_whole(world: GmailWorld) -> None:
    body = "".join(f"Line {n}: the minutes of a very long meeting, all of it kept.\n" for n in range(3000))
    msg_id = world.mailbox.add_message(compose("Minutes", body, html=f"<pre>{body}</pre>"))
    message = fetched(world, msg_id, full())
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == body  # type: ignore[union-attr]
    assert "Line 2999:" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("iso-8859-1", "Crème brûlée, señor."),
        ("windows-1252", "Price: 5 € – “quoted”"),
        ("koi8-r", "Привет, мир"),
        ("iso-2022-jp", "こんにちは世界"),
    ],
)
def test_non_utf8_charsets_survive_the_round_trip(world: GmailWorld, charset: str, text: str) -> None:
    msg_id = world.mailbox.add_message(compose("Charset", text, charset=charset))
    message = fetched(world, msg_id, full())
    body = message.get_body(("plain",))
    assert body is not None and body.get_content_charset() == charset
    assert body.get_content().strip() == text


def test_full_fetch_of_a_single_part_message(world: GmailWorld) -> None:
    msg_id = world.mailbox.add_message(compose("Short", "Just text."))
    message = fetched(world, msg_id, full())
    assert not message.is_multipart() and message.get_content().strip() == "Just text."


def test_fetching_a_deleted_message_is_not_found(world: GmailWorld) -> None:
    msg_id = world.mailbox.add_message(compose("Soon gone"))
    provider = world.provider(plan=full())
    item = next(iter(provider.snapshot(Scope(kind="label")).items))
    world.mailbox.delete(msg_id)
    for plan in (full(), METADATA):
        with pytest.raises(NotFoundError):
            provider.fetch(item, plan, io.BytesIO())


def _texts(message: EmailMessage) -> list[str]:
    return [
        " ".join(part.get_content().split())
        for part in message.walk()
        if part.get_content_type() in ("text/plain", "text/html") and not part.get_filename()
    ]


def test_every_corpus_message_comes_back_with_the_same_text_and_attachments(world: GmailWorld) -> None:
    corpus = pytest.importorskip("connectors_pipeline.sandbox.gmail_corpus")
    entries = corpus.mail_corpus()
    ids = seed_gmail(world.state, EMAIL, entries)
    provider = world.provider(plan=full())
    items = {item.external_id: item for item in provider.snapshot(Scope(kind="label")).items}
    assert set(items) == set(ids.values())
    receipt = items[ids[next(i for i, e in enumerate(entries) if e.name == "user_label")]]
    assert [path.split("/")[0] for path in receipt.paths] == ["Inbox", "Receipts"]
    for index, msg_id in ids.items():
        original = email.message_from_bytes(entries[index].raw, policy=email.policy.default)
        out = io.BytesIO()
        provider.fetch(items[msg_id], full(), out)
        rebuilt = email.message_from_bytes(out.getvalue(), policy=email.policy.default)
        name = entries[index].name
        assert rebuilt["Subject"] == original["Subject"], name
        headers_only = io.BytesIO()
        provider.fetch(items[msg_id], METADATA, headers_only)
        parsed = email.message_from_bytes(headers_only.getvalue(), policy=email.policy.default)
        assert (parsed["Subject"], parsed["From"], parsed["To"]) == (
            original["Subject"],
            original["From"],
            original["To"],
        )
        assert _texts(rebuilt) == _texts(original), name  # type: ignore[arg-type]
        rebuilt_files = {p.get_filename(): p for p in rebuilt.iter_attachments()}  # type: ignore[attr-defined]
        for part in original.iter_attachments():  # type: ignore[attr-defined]
            copy = rebuilt_files[part.get_filename()]
            if file_type_of(part.get_content_type()) is None:  # e.g. PNG: no vault file type, left out
                assert copy["X-Connectors-Omitted"] == "unsupported_type", name
            elif part.get_content_type() == "message/rfc822":  # a forwarded message nests whole
                inner, inner_copy = part.get_content(), copy.get_content()
                assert inner_copy["Subject"] == inner["Subject"] and _texts(inner_copy) == _texts(inner), name
            else:
                assert copy.get_content() == part.get_content(), name
