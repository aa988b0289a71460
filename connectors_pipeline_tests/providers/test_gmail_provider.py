"""GmailProvider against the sandbox over HTTP: profile, snapshot, changes, has_changes, locate, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors_pipeline.domain.errors import AuthRevokedError, RateLimitedError, StaleCursorError, TransientError
from connectors_pipeline.domain.items import RemovalReason
from connectors_pipeline.providers.base import AttachmentRules, ExportPlan, Scope
from connectors_pipeline.providers.gmail.items import item_version
from connectors_pipeline.providers.registry import provider_info
from connectors_pipeline.resilience.guard import UNGUARDED
from connectors_pipeline.sandbox import FaultKind
from connectors_pipeline_tests.gmail_world import EMAIL, GmailWorld, compose, gmail_world

ALL = Scope(kind="label")


@pytest.fixture
def world() -> Iterator[GmailWorld]:
    yield from gmail_world()


def by_name(items: object) -> dict:
    return {item.name: item for item in items}  # type: ignore[attr-defined]


def changes_by_id(world: GmailWorld, cursor: str, *scopes: Scope) -> tuple[dict, str]:
    batch = world.provider().changes(cursor, scopes or (ALL,))
    return {c.external_id: c for c in batch.changes}, batch.next_cursor


def test_profile_is_the_mailbox_address(world: GmailWorld) -> None:
    profile = world.provider().profile()
    assert (profile.external_account_id, profile.email, profile.display_name) == (EMAIL, EMAIL, EMAIL)


def test_registry_builds_the_gmail_provider_with_the_plans_version(world: GmailWorld) -> None:
    info = provider_info("gmail")
    plan = ExportPlan(message_content="full")
    provider = info.factory(world.client, world.tokens, world.saved.append, UNGUARDED, plan)
    world.mailbox.add_message(compose("hello"))
    assert [item.version for item in provider.snapshot(ALL).items] == [item_version(plan)]


def full_with(types: list[str] | None, max_bytes: int | None = 1000) -> ExportPlan:
    allowed = frozenset(types) if types is not None else None
    return ExportPlan(message_content="full", attachments=AttachmentRules(allowed, max_bytes))


def test_in_full_mode_the_version_changes_with_the_attachment_rules_and_only_with_them() -> None:
    version = item_version(full_with(["pdf", "text"]))
    assert version.startswith("full-") and len(version) == len("full-") + 8
    assert item_version(full_with(["text", "pdf"])) == version  # the same rules, listed otherwise
    others = {item_version(full_with(["text"])), item_version(full_with(["pdf", "text"], 2000))}
    others |= {item_version(full_with(None)), item_version(full_with(["pdf", "text"], None))}
    assert len(others) == 4 and version not in others
    # headers only: no attachment is ever fetched, so the rules cannot change what the vault holds
    assert item_version(ExportPlan(attachments=AttachmentRules(frozenset({"text"}), 5))) == "metadata"


def test_snapshot_lists_every_message_with_paths_from_its_labels(world: GmailWorld) -> None:
    box = world.mailbox
    receipts = box.create_label("Receipts")
    box.add_message(compose("Welcome"), ["INBOX", "UNREAD", "IMPORTANT", "CATEGORY_PERSONAL"])
    box.add_message(compose("Invoice 42"), ["INBOX", receipts, "STARRED"])
    box.add_message(compose("Archived"), [])
    box.add_message(compose("Sent a/b"), ["SENT"])
    box.add_message(compose(None), ["INBOX"])
    box.trash(box.add_message(compose("Binned"), ["INBOX"]))
    box.add_message(compose("Buy now"), ["SPAM"])
    snapshot = world.provider(plan=ExportPlan(message_content="metadata")).snapshot(ALL)
    assert snapshot.cursor == box.profile()["historyId"]
    assert not isinstance(snapshot.items, list)  # a generator: the mailbox is never listed whole
    items = by_name(snapshot.items)
    assert set(items) == {"Welcome", "Invoice 42", "Archived", "Sent a/b", "(no subject)"}
    assert items["Welcome"].paths == ("Inbox/Welcome",)
    assert items["Invoice 42"].paths == ("Inbox/Invoice 42", "Starred/Invoice 42", "Receipts/Invoice 42")
    assert items["Archived"].paths == ("All Mail/Archived",)
    assert items["Sent a/b"].paths == ("Sent/Sent a\u2215b",)
    invoice = items["Invoice 42"]
    assert invoice.mime_type == "message/rfc822" and invoice.version == "metadata" and invoice.size is None
    assert invoice.web_url == f"https://mail.google.com/mail/u/0/#all/{invoice.external_id}"
    assert invoice.modified_time is not None and not invoice.trashed


def test_snapshot_by_label_and_by_query_lists_each_message_once(world: GmailWorld) -> None:
    box = world.mailbox
    work = box.create_label("Work")
    box.add_message(compose("Plan", "roadmap"), ["INBOX", work])
    box.add_message(compose("Lunch", "pizza"), ["INBOX"])
    box.add_message(compose("Notes", "roadmap draft"), [work])
    provider = world.provider()
    by_label = [i.name for i in provider.snapshot(Scope(roots=("INBOX", work), kind="label")).items]
    assert sorted(by_label) == ["Lunch", "Notes", "Plan"]
    by_name_root = [i.name for i in provider.snapshot(Scope(roots=("work",), kind="label")).items]
    assert sorted(by_name_root) == ["Notes", "Plan"]
    by_query = [i.name for i in provider.snapshot(Scope(roots=("roadmap", "subject:plan"), kind="query")).items]
    assert sorted(by_query) == ["Notes", "Plan"]


def test_new_messages_and_label_changes_arrive_as_upserts_and_moves(world: GmailWorld) -> None:
    box = world.mailbox
    kept = box.add_message(compose("Kept"), ["INBOX"])
    cursor = world.provider().snapshot(ALL).cursor
    assert cursor is not None
    fresh = box.add_message(compose("Fresh"), ["INBOX"])
    label = box.create_label("Projects")
    box.add_labels(kept, [label])
    changes, next_cursor = changes_by_id(world, cursor)
    assert changes[fresh].item.paths == ("Inbox/Fresh",)
    assert changes[kept].item.paths == ("Inbox/Kept", "Projects/Kept")
    assert changes[kept].item.version == changes[fresh].item.version  # a move, not new content
    assert world.provider().changes(next_cursor, (ALL,)).changes == []


def test_a_label_removed_moves_the_message_out_of_a_label_scope(world: GmailWorld) -> None:
    box = world.mailbox
    work = box.create_label("Work")
    msg = box.add_message(compose("Spec"), ["INBOX", work])
    scope = Scope(roots=(work,), kind="label")
    cursor = world.provider().snapshot(scope).cursor
    box.remove_labels(msg, [work])
    changes, cursor = changes_by_id(world, cursor, scope)
    assert changes[msg].removal is RemovalReason.MOVED_OUT_OF_SCOPE
    box.add_labels(msg, [work])
    changes, _ = changes_by_id(world, cursor, scope)
    assert changes[msg].item.paths == ("Inbox/Spec", "Work/Spec")


def test_query_scopes_decide_membership_with_one_listing_per_query(world: GmailWorld) -> None:
    box = world.mailbox
    cursor = world.provider().snapshot(ALL).cursor
    wanted = box.add_message(compose("Invoice", sender="billing@example.com"))
    other = box.add_message(compose("Party"))
    before = len(world.state.requests_to(r"/messages$"))
    changes, _ = changes_by_id(world, cursor, Scope(roots=("from:billing@example.com",), kind="query"))
    assert changes[wanted].item.name == "Invoice"
    assert changes[other].removal is RemovalReason.MOVED_OUT_OF_SCOPE
    assert len(world.state.requests_to(r"/messages$")) == before + 1


def test_trash_is_an_upsert_marked_trashed_and_untrash_restores(world: GmailWorld) -> None:
    box = world.mailbox
    msg = box.add_message(compose("Oops"), ["INBOX"])
    inbox = Scope(roots=("INBOX",), kind="label")
    cursor = world.provider().snapshot(inbox).cursor
    box.trash(msg)
    changes, cursor = changes_by_id(world, cursor, inbox)
    assert changes[msg].item.trashed
    box.untrash(msg)
    changes, _ = changes_by_id(world, cursor, inbox)
    assert not changes[msg].item.trashed and changes[msg].item.paths == ("Inbox/Oops",)


def test_deleted_messages_are_reported_deleted(world: GmailWorld) -> None:
    box = world.mailbox
    gone = box.add_message(compose("Gone"))
    cursor = world.provider().snapshot(ALL).cursor
    relabelled_then_gone = box.add_message(compose("Brief"))
    box.add_labels(relabelled_then_gone, ["STARRED"])
    box.delete(gone)
    box.delete(relabelled_then_gone)
    changes, _ = changes_by_id(world, cursor)
    assert {c.removal for c in changes.values()} == {RemovalReason.DELETED}
    assert set(changes) == {gone, relabelled_then_gone}


def test_an_expired_history_id_is_a_stale_cursor(world: GmailWorld) -> None:
    box = world.mailbox
    cursor = world.provider().snapshot(ALL).cursor
    box.add_message(compose("a"))
    box.expire_history()
    with pytest.raises(StaleCursorError):
        world.provider().changes(cursor, (ALL,))
    assert world.provider().has_changes(cursor, (ALL,))


def test_has_changes_asks_once(world: GmailWorld) -> None:
    box = world.mailbox
    provider = world.provider()
    cursor = provider.snapshot(ALL).cursor
    before = len(world.state.requests)
    assert not provider.has_changes(cursor, (ALL,))
    assert len(world.state.requests) == before + 1
    box.add_message(compose("new"))
    assert provider.has_changes(cursor, (ALL,))


def test_locate_finds_a_message_wherever_it_is_and_none_when_deleted(world: GmailWorld) -> None:
    box = world.mailbox
    msg = box.add_message(compose("Where"), [])
    provider = world.provider()
    assert provider.locate(msg).paths == ("All Mail/Where",)
    box.delete(msg)
    assert provider.locate(msg) is None


@pytest.mark.parametrize(
    ("kind", "params", "error"),
    [
        (FaultKind.RATE_LIMIT_429, {"retry_after": 1}, RateLimitedError),
        (FaultKind.RATE_LIMIT_403, {"reason": "rateLimitExceeded"}, RateLimitedError),
        (FaultKind.SERVER_ERROR, {}, TransientError),
    ],
)
def test_gmail_failures_become_typed_errors(world: GmailWorld, kind: FaultKind, params: dict, error: type) -> None:
    world.state.add_fault(kind, r"^/gmail/v1/", **params)
    with pytest.raises(error):
        world.provider().profile()


def test_a_refreshed_token_is_saved_and_a_revoked_grant_asks_for_reconnect(world: GmailWorld) -> None:
    world.state.add_fault(FaultKind.EXPIRED_TOKEN, r"^/gmail/v1/")
    assert world.provider().profile().email == EMAIL
    assert len(world.saved) == 1
    secrets = [world.tokens.refresh_token.get_secret_value()]  # type: ignore[union-attr]
    world.state.add_fault(FaultKind.EXPIRED_TOKEN, r"^/gmail/v1/")
    world.state.add_fault(FaultKind.INVALID_GRANT)
    with pytest.raises(AuthRevokedError) as excinfo:
        world.provider().profile()
    assert not any(secret in str(excinfo.value) for secret in secrets)
