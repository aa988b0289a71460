"""Gmail through the same asset factory: the vault follows a mailbox message by message."""

from __future__ import annotations

import pytest

from connectors_pipeline.domain.file_types import SUPPORTED_FILE_TYPES
from connectors_pipeline.sandbox import SandboxState, seed_gmail
from connectors_pipeline.sandbox.gmail_corpus import mail_corpus
from connectors_pipeline.sandbox.ground_truth import mailbox_truth, vault_state
from connectors_pipeline_tests.gmail_world import compose
from connectors_pipeline_tests.pipeline.conftest import USER, provider_world

MESSAGE_GETS = r"^/gmail/v1/users/[^/]+/messages/[^/]+$"


@pytest.fixture
def mail_world(connectors_env, monkeypatch):
    monkeypatch.setenv("ORG_CONNECTORS_GMAIL_CONTENT", "full")
    state = SandboxState()
    state.add_user(USER)
    seed_gmail(state, USER, mail_corpus())
    with provider_world(connectors_env, "gmail", state) as world:
        yield world


def assert_vault_matches_mailbox(world, label_root: str | None = None) -> None:
    known = set(world.store.load_items(world.key))
    assert vault_state(world.store, world.key) == mailbox_truth(world.state.mailbox(USER), known, label_root)


def document_text(world, external_id: str) -> str:
    item = world.store.load_items(world.key, external_ids=[external_id])[external_id]
    return world.store.get_document(item.vault_document_id).text


def test_initial_sync_ingests_every_message_with_its_attachments(mail_world):
    result = mail_world.sync()

    assert_vault_matches_mailbox(mail_world)
    mailbox = mail_world.state.mailbox(USER)
    with_pdf = next(m for m in mailbox.messages.values() if b"application/pdf" in m.raw)
    text = document_text(mail_world, with_pdf.id)
    assert "## Attachment:" in text and ".pdf" in text
    listing = result.asset_materializations_for_node("gmail__file_listing")[0].metadata
    assert listing["sync_modes"].value == {"initial": 1}


def test_mailbox_changes_reach_the_vault_through_history(mail_world):
    mail_world.sync()
    mailbox = mail_world.state.mailbox(USER)
    ids = list(mailbox.messages)
    receipts = mailbox.create_label("Receipts 2025")
    new = mailbox.add_message(compose("Fresh arrival", "The body of a brand new message."))
    mailbox.add_labels(ids[0], [receipts])  # a move: a new path, nothing fetched
    mailbox.trash(ids[1])
    mailbox.delete(ids[2])
    mail_world.state.reset_requests()

    mail_world.sync()

    assert_vault_matches_mailbox(mail_world)
    fetched = {
        r.path.rsplit("/", 1)[1] for r in mail_world.state.requests_to(MESSAGE_GETS) if r.query.get("format") == "full"
    }
    assert fetched == {new}  # the labelled message moved without a download
    assert "brand new message" in document_text(mail_world, new)

    mailbox.untrash(ids[1])
    mail_world.sync()
    assert_vault_matches_mailbox(mail_world)


def test_a_label_source_takes_messages_out_when_the_label_goes(mail_world):
    mailbox = mail_world.state.mailbox(USER)
    label = mailbox.create_label("Project")
    tagged = list(mailbox.messages)[:3]
    for message_id in tagged:
        mailbox.add_labels(message_id, [label])
    mail_world.store.add_source(mail_world.key, kind="label", external_id=label, name="Project")
    mail_world.sync()
    assert {k for k, v in vault_state(mail_world.store, mail_world.key).items() if v[0] == "ingested"} == set(tagged)

    mailbox.remove_labels(tagged[0], [label])
    mail_world.sync()

    assert_vault_matches_mailbox(mail_world, label_root=label)
    assert vault_state(mail_world.store, mail_world.key)[tagged[0]] == ("deleted:moved_out_of_scope", None)


def test_a_quiet_mailbox_costs_one_history_request(mail_world):
    mail_world.sync()
    mail_world.state.reset_requests()

    mail_world.sync()

    api = [r for r in mail_world.state.requests if r.path.startswith("/gmail/")]
    assert [r.path.rsplit("/", 1)[1] for r in api] == ["history"]


def test_a_stale_history_id_falls_back_to_a_recorded_relist(mail_world):
    mail_world.sync()
    mailbox = mail_world.state.mailbox(USER)
    mailbox.add_message(compose("After the gap", "Arrived while history was lost."))
    mailbox.expire_history()

    result = mail_world.sync()

    assert_vault_matches_mailbox(mail_world)
    listing = result.asset_materializations_for_node("gmail__file_listing")[0].metadata
    assert listing["sync_modes"].value == {"reconcile": 1}
    events = mail_world.store.list_activity(limit=500, partition_key=mail_world.key)
    assert any(e.event == "connector_cursor_reset" and e.context.get("reason") == "stale_cursor" for e in events)


def test_metadata_mode_keeps_headers_only_and_switching_to_full_fetches_bodies(mail_world, monkeypatch):
    monkeypatch.setenv("ORG_CONNECTORS_GMAIL_CONTENT", "metadata")
    mail_world.sync()
    first = next(iter(mail_world.state.mailbox(USER).messages))
    assert "## Attachment" not in document_text(mail_world, first)
    headers_only = document_text(mail_world, first)

    monkeypatch.setenv("ORG_CONNECTORS_GMAIL_CONTENT", "full")
    result = mail_world.sync()

    listing = result.asset_materializations_for_node("gmail__file_listing")[0].metadata
    assert listing["sync_modes"].value == {"reconcile": 1}  # a policy change re-judges every message
    assert document_text(mail_world, first) != headers_only
    assert_vault_matches_mailbox(mail_world)


def test_attachment_rules_changes_take_files_out_of_messages_and_put_them_back(mail_world, monkeypatch):
    mail_world.sync()
    mailbox = mail_world.state.mailbox(USER)
    with_pdf = next(m.id for m in mailbox.messages.values() if b"application/pdf" in m.raw)
    pdf_text = "Billed to Example Org for consulting"
    assert pdf_text in document_text(mail_world, with_pdf)

    monkeypatch.setenv("ORG_CONNECTORS_ALLOWED_FILE_TYPES", ",".join(sorted(SUPPORTED_FILE_TYPES - {"pdf"})))
    mail_world.sync()

    text = document_text(mail_world, with_pdf)
    assert pdf_text not in text
    assert "## Attachment: invoice-2024-031.pdf\n\n_(left out by policy: policy_file_type)_" in text
    assert "The vault keeps every shared document searchable offline." in text  # the DOCX stays

    monkeypatch.delenv("ORG_CONNECTORS_ALLOWED_FILE_TYPES")
    mail_world.sync()
    assert pdf_text in document_text(mail_world, with_pdf)  # allowed again: fetched again


def test_an_attachment_that_fits_alone_but_not_encoded_is_left_out_and_the_message_kept(mail_world, monkeypatch):
    monkeypatch.setenv("ORG_CONNECTORS_MAX_FILE_SIZE_MB", "0.01")  # 10,485 bytes
    contract = b"%PDF-1.4\n" + bytes(9_000)  # under the limit; about 12,000 bytes in base64
    msg_id = mail_world.state.mailbox(USER).add_message(
        compose(
            "Signed contract",
            "The signed contract is attached.",
            attachments=[("contract.pdf", "application/pdf", contract)],
        )
    )

    mail_world.sync()

    assert vault_state(mail_world.store, mail_world.key)[msg_id][0] == "ingested"
    text = document_text(mail_world, msg_id)
    assert "The signed contract is attached." in text
    assert "## Attachment: contract.pdf\n\n_(left out by policy: policy_max_size)_" in text


def test_the_change_sensor_polls_history_once_and_syncs_only_after_mail_arrives(mail_world):
    mail_world.sync()
    mail_world.state.reset_requests()
    quiet = mail_world.changes_sensor()
    assert quiet.run_requests == []
    assert [r.path.rsplit("/", 1)[1] for r in mail_world.state.requests] == ["history"]

    mail_world.state.mailbox(USER).add_message(compose("Ping", "Something arrived."))
    changed = mail_world.changes_sensor(quiet.cursor)

    [request] = changed.run_requests
    assert request.partition_key == mail_world.key
