"""Every `connectors` command acts for CONNECTORS_TENANT / CONNECTORS_USER / CONNECTORS_ROLE and shows
nothing of another tenant (nor, to a member, of another person); linking accounts can require a role."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from connectors_pipeline.cli import main
from connectors_pipeline.connect import connect_account
from connectors_pipeline.domain.errors import PolicyError
from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.domain.principal import Principal, Role
from connectors_pipeline.sandbox import SandboxServer, SandboxState, sandbox_client_config
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import Store
from connectors_pipeline.store.cipher import resolve_keyring
from connectors_pipeline_tests.store.conftest import connect
from connectors_pipeline_tests.store.test_items import remote
from connectors_pipeline_tests.store.test_vault import ingest

PEOPLE = {"ann": "acme", "amos": "acme", "gus": "globex"}
RUN = "5f1e0c2a-0000-4000-8000-000000000000"


@pytest.fixture
def store(connectors_env: Settings) -> Iterator[Store]:
    opened = Store.open(connectors_env.database_url, resolve_keyring(connectors_env, allow_demo_key=False))
    yield opened
    opened.dispose()


@pytest.fixture
def accounts(store: Store) -> dict[str, tuple[str, int]]:
    """Person -> (partition key, vault document id): one synced account each, documents sharing a word."""
    found = {}
    for user, tenant in PEOPLE.items():
        key = connect(
            store, f"{user}-drive", tenant_id=tenant, user_id=user, display_name=f"{user} drive"
        ).partition_key
        store.save_remote_items(key, [remote("plan")])
        ingest(store, key, "plan", f"roadmap of {user}", title=f"{user} plan")
        store.add_source(key, kind="folder", external_id="folder-1", name=f"{user} folder")
        store.finish_job(store.start_job(key, run_id=RUN, job_type="initial_sync"), status="succeeded", counts={})
        found[user] = (key, store.load_items(key)["plan"].vault_document_id)
    return found


def as_person(monkeypatch, user: str, role: str) -> None:
    monkeypatch.setenv("CONNECTORS_TENANT", PEOPLE.get(user, "acme"))
    monkeypatch.setenv("CONNECTORS_USER", user)
    monkeypatch.setenv("CONNECTORS_ROLE", role)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def listed(*args: str) -> list[dict]:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize(
    ("user", "role", "sees"),
    [("ann", "member", {"ann"}), ("ann", "admin", {"ann", "amos"}), ("gus", "admin", {"gus"})],
)
def test_listings_show_only_what_the_person_may_see(accounts, monkeypatch, user, role, sees):
    as_person(monkeypatch, user, role)
    mine = {accounts[who][0] for who in sees}

    assert {a["partition_key"] for a in listed("accounts", "list")} == mine
    assert {hit["account"] for hit in listed("vault", "search", "roadmap")} == mine
    assert {job["partition_key"] for job in listed("jobs")} == mine
    assert {event["partition_key"] for event in listed("activity")} == mine
    sources = invoke("sources", "list").output
    assert {key for key, _ in accounts.values() if key in sources} == mine


@pytest.mark.parametrize(("user", "role"), [("ann", "member"), ("ann", "admin"), ("gus", "admin")])
def test_another_tenants_or_persons_account_and_documents_are_not_found(accounts, monkeypatch, user, role):
    as_person(monkeypatch, user, role)
    visible = {"member": {user}, "admin": {who for who, tenant in PEOPLE.items() if tenant == PEOPLE[user]}}[role]

    for other in set(PEOPLE) - visible:
        key, document = accounts[other]
        shown = invoke("vault", "show", str(document), "--versions", "--text")
        assert shown.exit_code != 0 and f"no vault document {document}" in shown.output
        assert "roadmap" not in shown.output
        for command in (("jobs", "--account", key), ("activity", "--account", key), ("sources", "list", key)):
            refused = invoke(*command)
            assert refused.exit_code != 0 and "no connector account with partition key" in refused.output
        assert "No matches." in invoke("vault", "search", "roadmap", "--account", key).output
        added = invoke("sources", "add", key, "--folder", "sneaky")
        assert added.exit_code != 0 and "no connector account" in added.output
        removed = invoke("accounts", "remove", key)
        assert removed.exit_code != 0 and "no connector account" in removed.output
    for own in visible:
        _, document = accounts[own]
        shown = invoke("vault", "show", str(document), "--versions", "--text")
        assert shown.exit_code == 0 and f"roadmap of {own}" in shown.output and "v1" in shown.output


def test_others_accounts_are_left_untouched_by_refused_commands(accounts, store, monkeypatch):
    as_person(monkeypatch, "gus", "admin")
    key, _ = accounts["ann"]

    invoke("accounts", "remove", key)
    invoke("sources", "add", key, "--folder", "sneaky")

    assert store.get_account(key).has_credentials
    assert [s.external_id for s in store.list_sources(key)] == ["folder-1"]


def test_an_unknown_role_is_a_clear_error(connectors_env, monkeypatch):
    monkeypatch.setenv("CONNECTORS_ROLE", "owner")

    result = invoke("accounts", "list")

    assert result.exit_code != 0
    assert "CONNECTORS_ROLE must be one of member, admin, got 'owner'" in result.output


# -- the account linking role ------------------------------------------------------------------------

USER = "grace@example.org"


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxState, SandboxServer]]:
    state = SandboxState()
    state.add_user(USER)
    with SandboxServer(state, port=0) as server:
        yield state, server


def test_a_member_may_not_link_an_account_when_linking_needs_an_admin(connectors_env, sandbox, store, monkeypatch):
    state, server = sandbox
    monkeypatch.setenv("ORG_CONNECTORS_ACCOUNT_LINKING_ROLE", "admin")
    as_person(monkeypatch, "ann", "member")

    result = invoke("accounts", "connect", "google_drive", "--sandbox", "--sandbox-url", server.url)

    assert result.exit_code != 0
    assert "connecting accounts needs the admin role (ORG_CONNECTORS_ACCOUNT_LINKING_ROLE)" in result.output
    assert store.list_accounts(statuses=None) == []
    assert not state.requests_to("^/token$"), "refused before any OAuth exchange"
    # The refused attempt is in the person's own activity, and nobody else's.
    assert [e["event"] for e in listed("activity")] == ["connector_connect_failed", "connector_connect_started"]
    as_person(monkeypatch, "gus", "admin")
    assert listed("activity") == []


def test_an_admin_links_an_account_that_becomes_theirs(connectors_env, sandbox, store, monkeypatch):
    _, server = sandbox
    monkeypatch.setenv("ORG_CONNECTORS_ACCOUNT_LINKING_ROLE", "admin")
    as_person(monkeypatch, "amos", "admin")

    result = invoke("accounts", "connect", "google_drive", "--sandbox", "--sandbox-url", server.url)

    assert result.exit_code == 0, result.output
    [account] = store.list_accounts(statuses=None)
    assert (account.tenant_id, account.user_id) == ("acme", "amos")
    as_person(monkeypatch, "ann", "member")  # a member of the same tenant does not see it
    assert listed("accounts", "list") == []


def test_the_connect_flow_itself_enforces_the_linking_role(connectors_env, sandbox, store):
    _, server = sandbox
    policy = OrgPolicy(account_linking_role=Role.MEMBER)
    client = sandbox_client_config(server.url)

    with pytest.raises(PolicyError):
        connect_account(
            store,
            OrgPolicy(account_linking_role=Role.ADMIN),
            "google_drive",
            client,
            mode="sandbox",
            principal=Principal("acme", "ann", Role.MEMBER),
        )
    account = connect_account(
        store, policy, "google_drive", client, mode="sandbox", principal=Principal("acme", "ann", Role.MEMBER)
    )
    assert (account.tenant_id, account.user_id) == ("acme", "ann")
