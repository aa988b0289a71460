"""`connectors accounts|sources` against a running sandbox, through the real OAuth flow."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from connectors_pipeline.cli import main
from connectors_pipeline.sandbox import SandboxServer, SandboxState
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import Store
from connectors_pipeline.store.cipher import load_or_create_demo_keyring, resolve_keyring

USER = "grace@example.org"


@pytest.fixture
def sandbox():
    state = SandboxState()
    state.add_user(USER)
    with SandboxServer(state, port=0) as server:
        yield state, server


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_connect_list_and_remove_a_sandbox_account(connectors_env, sandbox):
    state, server = sandbox

    connected = invoke("accounts", "connect", "google_drive", "--sandbox", "--sandbox-url", server.url)
    assert connected.exit_code == 0, connected.output
    listed = json.loads(invoke("accounts", "list", "--json").output)
    assert [(a["provider"], a["status"], a["email"]) for a in listed] == [("google_drive", "connected", USER)]
    key = listed[0]["partition_key"]

    added = invoke("sources", "add", key, "--folder", state.drive(USER).root_id, "--no-recursive")
    assert added.exit_code == 0, added.output
    assert "top level only" in invoke("sources", "list", key).output

    removed = invoke("accounts", "remove", key)

    assert removed.exit_code == 0, removed.output
    assert state.requests_to("^/revoke$"), "the grant was revoked upstream"
    (account,) = json.loads(invoke("accounts", "list", "--json").output)
    assert account["status"] == "revoked"
    assert "disabled" in invoke("sources", "list", key).output
    with Store.open(connectors_env.database_url, resolve_keyring(connectors_env, allow_demo_key=False)) as store:
        assert not store.get_account(key).has_credentials


def test_connect_refuses_an_email_domain_the_policy_does_not_allow(connectors_env, sandbox, monkeypatch):
    state, server = sandbox
    monkeypatch.setenv("ORG_CONNECTORS_ALLOWED_EMAIL_DOMAINS", "example.com")

    result = invoke("accounts", "connect", "google_drive", "--sandbox", "--sandbox-url", server.url)

    assert result.exit_code != 0
    assert "ORG_CONNECTORS_ALLOWED_EMAIL_DOMAINS" in result.output
    assert json.loads(invoke("accounts", "list", "--json").output) == []
    assert state.requests_to("^/revoke$"), "tokens obtained before the policy check are revoked, not kept"


@pytest.mark.parametrize("demo_key_file", [False, True], ids=["no key at all", "only the demo's key"])
def test_connect_refuses_to_store_tokens_without_an_encryption_key(connectors_env, sandbox, monkeypatch, demo_key_file):
    state, server = sandbox
    monkeypatch.delenv("CONNECTORS_ENCRYPTION_KEYS")
    if demo_key_file:
        load_or_create_demo_keyring(Settings.from_env().demo_key_file)

    result = invoke("accounts", "connect", "google_drive", "--sandbox", "--sandbox-url", server.url)

    assert result.exit_code != 0
    assert "CONNECTORS_ENCRYPTION_KEYS" in result.output
    assert not state.requests_to("^/token$"), "refused before any token was issued"


def test_real_accounts_need_an_oauth_client(connectors_env, monkeypatch):
    monkeypatch.delenv("CONNECTORS_GOOGLE_CLIENT_ID", raising=False)

    result = invoke("accounts", "connect", "google_drive")

    assert result.exit_code != 0
    assert "CONNECTORS_GOOGLE_CLIENT_ID" in result.output


def test_notion_and_gmail_connect_through_the_same_command_with_their_own_sources(connectors_env, sandbox):
    state, server = sandbox
    for provider in ("notion", "gmail"):
        connected = invoke("accounts", "connect", provider, "--sandbox", "--sandbox-url", server.url)
        assert connected.exit_code == 0, connected.output
    listed = {a["provider"]: a for a in json.loads(invoke("accounts", "list", "--json").output)}
    assert set(listed) == {"notion", "gmail"} and listed["gmail"]["email"] == USER
    assert listed["notion"]["email"] == USER  # the workspace owner, from users.me

    page = invoke("sources", "add", listed["notion"]["partition_key"], "abc123", "--kind", "page")
    label = invoke("sources", "add", listed["gmail"]["partition_key"], "INBOX")  # a Gmail source is a label by default
    wrong = invoke("sources", "add", listed["gmail"]["partition_key"], "x", "--kind", "folder")

    assert page.exit_code == 0 and label.exit_code == 0, page.output + label.output
    assert "gmail sources are label, query, not folder" in wrong.output
    removed = invoke("accounts", "remove", listed["notion"]["partition_key"])
    assert removed.exit_code == 0 and state.requests_to("^/v1/oauth/revoke$")


def test_gmail_is_refused_with_how_to_enable_it_while_its_flag_is_off(connectors_env, sandbox, monkeypatch):
    _, server = sandbox
    monkeypatch.delenv("CONNECTORS_GMAIL_ENABLED")

    result = invoke("accounts", "connect", "gmail", "--sandbox", "--sandbox-url", server.url)

    assert result.exit_code != 0 and "CONNECTORS_GMAIL_ENABLED=1" in result.output
