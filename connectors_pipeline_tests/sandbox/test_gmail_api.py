"""The Gmail v1 emulator as the real google-api-python-client sees it: lists, formats, history, scopes."""

from __future__ import annotations

import base64
import email
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from googleapiclient.errors import HttpError

from connectors_pipeline.sandbox import seed_gmail
from connectors_pipeline.sandbox.gmail_mime import MAX_INLINE_BODY_BYTES
from connectors_pipeline_tests.gmail_world import EMAIL, GMAIL_METADATA, GmailWorld, compose, gmail_world


@pytest.fixture
def world() -> Iterator[GmailWorld]:
    yield from gmail_world()


def b64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def ids_of(response: dict) -> list[str]:
    return [m["id"] for m in response.get("messages", [])]


def error_of(request: object) -> HttpError:
    with pytest.raises(HttpError) as excinfo:
        request.execute()  # type: ignore[attr-defined]
    return excinfo.value


def test_profile_and_labels_describe_the_mailbox(world: GmailWorld) -> None:
    world.mailbox.add_message(compose("one"))
    receipts = world.mailbox.create_label("Receipts")
    users = world.service().users()
    profile = users.getProfile(userId="me").execute()
    assert profile["emailAddress"] == EMAIL and profile["messagesTotal"] == 1
    assert int(profile["historyId"]) > 0
    labels = {lab["id"]: lab for lab in users.labels().list(userId=EMAIL).execute()["labels"]}
    assert labels[receipts] == {
        "id": receipts,
        "name": "Receipts",
        "type": "user",
        "messageListVisibility": "show",
        "labelListVisibility": "labelShow",
    }
    assert labels["INBOX"]["type"] == "system" and set(labels["UNREAD"]) == {"id", "name", "type"}


def test_label_ids_must_all_match_and_an_empty_list_has_no_messages_key(world: GmailWorld) -> None:
    box = world.mailbox
    unread = box.add_message(compose("unread"), ["INBOX", "UNREAD"])
    box.add_message(compose("read"), ["INBOX"])
    messages = world.service().users().messages()
    assert ids_of(messages.list(userId="me", labelIds=["INBOX", "UNREAD"]).execute()) == [unread]
    empty = messages.list(userId="me", labelIds=["SENT", "UNREAD"]).execute()
    assert empty == {"resultSizeEstimate": 0}


def test_list_pages_newest_first_and_leaves_spam_and_trash_out_unless_asked(world: GmailWorld) -> None:
    box = world.mailbox
    ids = [box.add_message(compose(f"m{i}")) for i in range(5)]
    box.trash(ids[0])
    spam = box.add_message(compose("spam"), ["SPAM"])
    messages = world.service().users().messages()
    first = messages.list(userId="me", maxResults=2).execute()
    assert ids_of(first) == [ids[4], ids[3]] and first["resultSizeEstimate"] == 4
    second = messages.list(userId="me", maxResults=2, pageToken=first["nextPageToken"]).execute()
    assert ids_of(second) == [ids[2], ids[1]] and "nextPageToken" not in second
    everything = ids_of(messages.list(userId="me", includeSpamTrash=True).execute())
    assert set(everything) == {*ids, spam}
    assert ids_of(messages.list(userId="me", labelIds=["TRASH"]).execute()) == [ids[0]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from:carol@example.org", ["invoice"]),
        ("to:team@example.org", ["invoice"]),
        ("subject:quarterly", ["report"]),
        ("has:attachment", ["invoice"]),
        ("filename:pdf", ["invoice"]),
        ("rfc822msgid:<report-1@example.org>", ["report"]),
        ("label:receipts", ["invoice"]),
        ("in:inbox is:unread", ["report"]),
        ("budget", ["report"]),
        ('"numbers look good"', ["report"]),
        ("-budget", ["invoice", "old"]),
        ("older_than:30d", ["old"]),
        ("newer_than:1d", ["invoice", "report"]),
        ("after:2024/06/01 before:2024/06/30", ["old"]),
    ],
)
def test_search_queries_find_what_gmail_would(world: GmailWorld, query: str, expected: list[str]) -> None:
    box = world.mailbox
    receipts = box.create_label("Receipts")
    found_by_name = {
        box.add_message(
            compose("Old news", "nothing here"),
            ["INBOX"],
            internal_date=datetime(2024, 6, 15, tzinfo=UTC),
        ): "old",
        box.add_message(
            compose("Quarterly report", "The budget numbers look good.", message_id="<report-1@example.org>"),
            ["INBOX", "UNREAD"],
        ): "report",
        box.add_message(
            compose(
                "Invoice",
                "Please pay.",
                sender="Carol <carol@example.org>",
                to="team@example.org",
                attachments=[("invoice.pdf", "application/pdf", b"%PDF-1.4 invoice")],
            ),
            [receipts],
        ): "invoice",
    }
    response = world.service().users().messages().list(userId="me", q=query).execute()
    assert sorted(found_by_name[i] for i in ids_of(response)) == expected


def test_formats_minimal_metadata_raw_and_full(world: GmailWorld) -> None:
    raw = compose(
        "Café menu",
        "Crème brûlée tonight.",
        charset="iso-8859-1",
        html="<p>Crème brûlée</p>",
        attachments=[("menu.pdf", "application/pdf", b"%PDF-1.4 menu")],
    )
    msg_id = world.mailbox.add_message(raw, ["INBOX", "UNREAD"])
    messages = world.service().users().messages()

    minimal = messages.get(userId="me", id=msg_id, format="minimal").execute()
    assert "payload" not in minimal and minimal["labelIds"] == ["INBOX", "UNREAD"]
    assert minimal["historyId"].isdigit() and minimal["internalDate"].isdigit()
    assert minimal["snippet"].startswith("Crème brûlée tonight.")

    meta = messages.get(userId="me", id=msg_id, format="metadata", metadataHeaders=["Subject", "From"]).execute()
    assert meta["payload"]["headers"] == [
        {"name": "Subject", "value": "Café menu"},  # decoded, as Gmail shows headers
        {"name": "From", "value": "Bob Sender <bob@example.org>"},
    ]

    assert b64(messages.get(userId="me", id=msg_id, format="raw").execute()["raw"]) == raw

    full = messages.get(userId="me", id=msg_id, format="full").execute()["payload"]
    assert full["partId"] == "" and full["mimeType"] == "multipart/mixed"
    alternative, attachment = full["parts"]
    plain, html = alternative["parts"]
    assert (alternative["partId"], plain["partId"], html["partId"]) == ("0", "0.0", "0.1")
    # Gmail hands text over as UTF-8 and leaves the part's headers (charset=iso-8859-1) as they were
    assert b64(plain["body"]["data"]).decode("utf-8").strip() == "Crème brûlée tonight."
    assert any("iso-8859-1" in h["value"] for h in plain["headers"] if h["name"] == "Content-Type")
    assert attachment["filename"] == "menu.pdf" and "data" not in attachment["body"]
    assert attachment["body"]["size"] == len(b"%PDF-1.4 menu")


def test_attachment_ids_change_between_reads_and_each_one_works(world: GmailWorld) -> None:
    msg_id = world.mailbox.add_message(compose(attachments=[("a.pdf", "application/pdf", b"%PDF-1.4 a")]))
    messages = world.service().users().messages()
    first, second = (
        messages.get(userId="me", id=msg_id).execute()["payload"]["parts"][1]["body"]["attachmentId"] for _ in range(2)
    )
    assert first != second
    for attachment_id in (first, second):
        body = messages.attachments().get(userId="me", messageId=msg_id, id=attachment_id).execute()
        assert b64(body["data"]) == b"%PDF-1.4 a" and body["size"] == 10


def test_a_made_up_page_token_is_a_400(world: GmailWorld) -> None:
    users = world.service().users()
    assert error_of(users.messages().list(userId="me", pageToken="bm9wZQ")).status_code == 400
    start = world.mailbox.profile()["historyId"]
    assert error_of(users.history().list(userId="me", startHistoryId=start, pageToken="e30")).status_code == 400


def test_missing_message_is_a_google_404(world: GmailWorld) -> None:
    error = error_of(world.service().users().messages().get(userId="me", id="feedfacefeedface"))
    assert error.status_code == 404 and error.error_details[0]["reason"] == "notFound"


def test_history_pages_in_order_filters_by_type_and_answers_only_the_id_when_nothing(world: GmailWorld) -> None:
    box = world.mailbox
    start = box.profile()["historyId"]
    history = world.service().users().history()
    assert history.list(userId="me", startHistoryId=start).execute() == {"historyId": start}
    a = box.add_message(compose("a"))
    b = box.add_message(compose("b"))
    box.add_labels(a, ["STARRED"])
    box.remove_labels(a, ["INBOX"])
    box.delete(b)
    records, page_token = [], None
    while True:
        kwargs = {"pageToken": page_token} if page_token else {}
        page = history.list(userId="me", startHistoryId=start, maxResults=2, **kwargs).execute()
        records += page["history"]
        page_token = page.get("nextPageToken")
        if not page_token:
            break
    kinds = [next(k for k in r if k not in ("id", "messages")) for r in records]
    assert kinds == ["messagesAdded", "messagesAdded", "labelsAdded", "labelsRemoved", "messagesDeleted"]
    assert [int(r["id"]) for r in records] == sorted(int(r["id"]) for r in records)
    assert records[2]["labelsAdded"][0]["labelIds"] == ["STARRED"]
    assert page["historyId"] == box.profile()["historyId"]
    only_deleted = history.list(userId="me", startHistoryId=start, historyTypes=["messageDeleted"]).execute()
    assert [r["messagesDeleted"][0]["message"]["id"] for r in only_deleted["history"]] == [b]


def test_an_expired_history_id_is_404_in_googles_envelope(world: GmailWorld) -> None:
    box = world.mailbox
    start = box.profile()["historyId"]
    box.add_message(compose("a"))
    box.expire_history()
    error = error_of(world.service().users().history().list(userId="me", startHistoryId=start))
    assert error.status_code == 404 and error.error_details[0]["reason"] == "notFound"
    fresh = box.profile()["historyId"]
    assert world.service().users().history().list(userId="me", startHistoryId=fresh).execute() == {"historyId": fresh}


def test_metadata_scope_refuses_queries_and_bodies(world: GmailWorld) -> None:
    msg_id = world.mailbox.add_message(compose("secret"))
    messages = world.service([GMAIL_METADATA]).users().messages()
    assert error_of(messages.list(userId="me", q="secret")).status_code == 403
    assert error_of(messages.get(userId="me", id=msg_id, format="full")).status_code == 403
    assert error_of(messages.get(userId="me", id=msg_id, format="raw")).status_code == 403
    assert messages.get(userId="me", id=msg_id, format="metadata").execute()["id"] == msg_id
    assert ids_of(messages.list(userId="me").execute()) == [msg_id]


def test_a_drive_token_and_another_users_mailbox_are_refused(world: GmailWorld) -> None:
    drive_only = world.service(["https://www.googleapis.com/auth/drive.readonly"]).users()
    assert error_of(drive_only.getProfile(userId="me")).status_code == 403
    assert error_of(world.service().users().getProfile(userId="eve@example.com")).status_code == 403


def test_seeding_delivers_real_messages_and_creates_named_labels(world: GmailWorld) -> None:
    class Entry:
        def __init__(self, raw: bytes, label_ids: tuple[str, ...]):
            self.raw, self.label_ids = raw, label_ids

    ids = seed_gmail(world.state, EMAIL, [Entry(compose("a"), ("INBOX",)), Entry(compose("b"), ("Receipts",))])
    box = world.mailbox
    assert set(ids) == {0, 1} and box.message(ids[1]).label_ids == [box.label_id("Receipts")]
    parsed = email.message_from_bytes(box.message(ids[0]).raw)
    assert parsed["Subject"] == "a"


def test_seeding_takes_the_shared_mail_corpus(world: GmailWorld) -> None:
    corpus = pytest.importorskip("connectors_pipeline.sandbox.gmail_corpus")
    entries = corpus.mail_corpus()
    ids = seed_gmail(world.state, EMAIL, entries)
    box = world.mailbox
    assert box.labels["Label_1"].name == "Receipts"
    messages = world.service().users().messages()
    for index, msg_id in ids.items():
        full = messages.get(userId="me", id=msg_id, format="full").execute()
        assert full["payload"]["mimeType"], entries[index].name
        raw = messages.get(userId="me", id=msg_id, format="raw").execute()["raw"]
        assert b64(raw) == entries[index].raw  # stored and served byte for byte
    by_name = {entry.name: ids[i] for i, entry in enumerate(entries)}
    with_attachments = ids_of(messages.list(userId="me", q="has:attachment").execute())
    assert by_name["attachments"] in with_attachments and by_name["plain_ascii"] not in with_attachments


def test_a_text_body_over_the_inline_limit_comes_by_attachment_id_as_gmail_sends_it(world: GmailWorld) -> None:
    large = "é" * (MAX_INLINE_BODY_BYTES // 2) + "\n"  # one byte over in UTF-8; under it in Latin-1
    msg_id = world.mailbox.add_message(compose("Big", large, html="<p>short</p>", charset="iso-8859-1"))
    messages = world.service().users().messages()
    plain, html = messages.get(userId="me", id=msg_id, format="full").execute()["payload"]["parts"]
    assert set(html["body"]) == {"size", "data"}  # small enough: inline
    assert "data" not in plain["body"] and plain["body"]["size"] == len(large.encode())
    got = messages.attachments().get(userId="me", messageId=msg_id, id=plain["body"]["attachmentId"]).execute()
    assert b64(got["data"]).decode("utf-8") == large  # UTF-8, as inline bodies are
