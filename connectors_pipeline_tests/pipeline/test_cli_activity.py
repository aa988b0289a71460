"""`connectors activity` and `connectors jobs`: one readable, terminal-safe line per event, and the job table."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner

from connectors_pipeline.cli import main
from connectors_pipeline.cli.activity_text import describe
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import ActivityRecord, Store
from connectors_pipeline.store.cipher import resolve_keyring
from connectors_pipeline_tests.store.conftest import connect
from connectors_pipeline_tests.store.test_items import remote
from connectors_pipeline_tests.store.test_vault import ingest

RUN = "cb263242-870a-49bb-b5bd-f0f0aad77250"
TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d"


def event(name: str, context: dict[str, Any] | None = None, provider: str | None = "google_drive") -> ActivityRecord:
    return ActivityRecord(
        id=1,
        tenant_id="default",
        user_id="local",
        partition_key="google_drive-0123456789ab" if provider else None,
        provider=provider,
        event=name,
        context=context or {},
        created_at=datetime(2026, 11, 23, 21, 55, tzinfo=UTC),
    )


def assert_terminal_safe(line: str) -> None:
    unsafe = [ch for ch in line if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"}]
    assert not unsafe, f"{line!r} prints {unsafe!r} raw"


@pytest.mark.parametrize(
    ("name", "context", "provider", "title", "expected"),
    [
        (
            "connector_connect_started",
            {"provider": "google_drive", "mode": "sandbox"},
            None,
            None,
            "Google Drive connection started (sandbox)",
        ),
        ("connector_connected", {"provider": "google_drive"}, "google_drive", None, "Google Drive account connected"),
        (
            "connector_connect_succeeded",
            {"provider": "google_drive"},
            "google_drive",
            None,
            "Google Drive connection succeeded",
        ),
        (
            "connector_connect_failed",
            {"provider": "google_drive", "error": "access_denied: the user declined"},
            None,
            None,
            "Google Drive connection failed: access_denied: the user declined",
        ),
        ("connector_connect_failed", {}, None, None, "Account connection failed"),
        ("connector_disconnect_started", {}, "google_drive", None, "Google Drive disconnect started"),
        (
            "connector_disconnect_succeeded",
            {"revoked": True},
            "google_drive",
            None,
            "Google Drive disconnected – access revoked at the provider",
        ),
        (
            "connector_disconnect_succeeded",
            {"revoked": False},
            "google_drive",
            None,
            "Google Drive disconnected – the provider could not be reached to revoke access",
        ),
        (
            "connector_disconnected",
            {"status": "revoked"},
            "google_drive",
            None,
            "Google Drive account disconnected (revoked)",
        ),
        (
            "connector_sync_started",
            {"run_id": RUN, "mode": "initial"},
            "google_drive",
            None,
            "Google Drive initial sync started (run cb263242)",
        ),
        ("connector_sync_started", {"run_id": RUN}, "google_drive", None, "Google Drive sync started (run cb263242)"),
        (
            "connector_sync_completed",
            {"run_id": RUN, "files_imported": 37, "files_unchanged": 0, "files_skipped": 4},
            "google_drive",
            None,
            "Google Drive sync completed – 37 files imported, 4 skipped",
        ),
        (
            "connector_sync_completed",
            {
                "run_id": RUN,
                "mode": "incremental",
                "files_imported": 1,
                "files_updated": 3,
                "files_unchanged": 120,
                "files_skipped": 0,
                "files_removed": 2,
            },
            "google_drive",
            None,
            "Google Drive incremental sync completed – 1 file imported, 3 updated, 2 removed, 120 unchanged",
        ),
        (
            "connector_sync_completed",
            {"mode": "reconcile", "files_removed": 2},
            "google_drive",
            None,
            "Google Drive reconciliation completed – 2 files removed",
        ),
        (
            "connector_sync_completed",
            {"run_id": RUN, "files_imported": 0},
            "google_drive",
            None,
            "Google Drive sync completed – no changes",
        ),
        (
            "connector_sync_failed",
            {"run_id": RUN, "error": "vault_items: AuthRevokedError: token revoked"},
            "google_drive",
            None,
            "Google Drive sync failed (run cb263242): vault_items: AuthRevokedError: token revoked",
        ),
        (
            "connector_job_scheduled",
            {"run_key": "google_drive-0123456789ab:reconcile:2026-11-23", "mode": "reconcile", "reason": "weekly"},
            "google_drive",
            None,
            "Google Drive reconciliation scheduled (weekly)",
        ),
        (
            "connector_job_scheduled",
            {"run_key": "k", "mode": "incremental", "reason": "changes"},
            "google_drive",
            None,
            "Google Drive incremental sync scheduled (changes upstream)",
        ),
        (
            "connector_job_scheduled",
            {"run_key": "k", "mode": "incremental", "reason": "some_future_reason"},
            "google_drive",
            None,
            "Google Drive incremental sync scheduled (some future reason)",
        ),
        (
            "connector_job_retried",
            {"run_id": RUN, "attempt": 2},
            "google_drive",
            None,
            "Google Drive sync retried, attempt 2 (run cb263242)",
        ),
        (
            "connector_cursor_reset",
            {"reason": "stale_cursor"},
            "google_drive",
            None,
            "Google Drive change cursor reset (change cursor expired)",
        ),
        (
            "connector_cursor_reset",
            {"reason": "scope_changed"},
            "google_drive",
            None,
            "Google Drive change cursor reset (synced folders changed)",
        ),
        (
            "connector_reconciliation_completed",
            {"missed": {"new": 1, "changed": 0, "moved": 2, "removed": 1}},
            "google_drive",
            None,
            "Google Drive reconciliation completed – 1 new, 2 moved, 1 removed missed by the change feed",
        ),
        (
            "connector_reconciliation_completed",
            {"run_id": RUN, "missed": {"new": 0, "changed": 0, "moved": 0, "removed": 0}, "fallback": None},
            "google_drive",
            None,
            "Google Drive reconciliation completed – nothing missed",
        ),
        (
            "connector_reconciliation_completed",
            {"run_id": RUN, "missed": {"changed": 3}, "fallback": "policy_changed"},
            "google_drive",
            None,
            "Google Drive reconciliation completed – 3 changed missed by the change feed (policy changed)",
        ),
        (
            "item_ingested",
            {"external_id": "1AbC", "document_id": 7, "version": 1},
            "google_drive",
            "Report.pdf",
            'Google Drive: "Report.pdf" imported',
        ),
        (
            "item_ingested",
            {"external_id": "1AbC", "document_id": 7, "version": 1},
            "google_drive",
            None,
            "Google Drive: item 1AbC imported",
        ),
        (
            "item_updated",
            {"external_id": "1AbC", "document_id": 7, "version": 3},
            "google_drive",
            "Report.pdf",
            'Google Drive: "Report.pdf" updated (version 3)',
        ),
        (
            "item_restored",
            {"external_id": "1AbC", "document_id": 7, "version": 4},
            "google_drive",
            "Report.pdf",
            'Google Drive: "Report.pdf" restored (version 4)',
        ),
        ("item_moved", {"external_id": "1AbC"}, "google_drive", "Report.pdf", 'Google Drive: "Report.pdf" moved'),
        (
            "item_deleted",
            {"external_id": "1AbC", "reason": "trashed", "document_id": 7},
            "google_drive",
            "Report.pdf",
            'Google Drive: "Report.pdf" deleted (trashed)',
        ),
        (
            "item_deleted",
            {"external_id": "1AbC", "reason": "access_lost", "document_id": None},
            "google_drive",
            None,
            "Google Drive: item 1AbC deleted (access lost)",
        ),
        (
            "item_skipped",
            {"external_id": "9Xy", "reason": "policy_max_size", "detail": "2.1 GB, the limit is 100 MB"},
            "google_drive",
            "backup.iso",
            'Google Drive: "backup.iso" skipped (larger than the policy allows: 2.1 GB, the limit is 100 MB)',
        ),
        (
            "connector_breaker_opened",
            {"failures": 10, "error": "TransientError"},
            "google_drive",
            None,
            "Google Drive calls paused after 10 failed requests in a row; one will probe after the cooldown",
        ),
        (
            "connector_breaker_closed",
            {"was": "half_open"},
            "google_drive",
            None,
            "Google Drive calls resumed: the provider answered again",
        ),
        (
            "item_skipped",
            {"external_id": "9Xy", "reason": "some_future_reason", "detail": None},
            "google_drive",
            None,
            "Google Drive: item 9Xy skipped (some future reason)",
        ),
    ],
)
def test_every_event_reads_as_one_plain_sentence(name, context, provider, title, expected):
    assert describe(event(name, context, provider), title) == expected


def test_an_unknown_event_shows_its_name_and_context():
    record = event("connector_quota_warning", {"used": 0.93, "limit": "15 GB", "by_kind": {"pdf": 3}})

    assert describe(record) == 'Google Drive: Connector quota warning – used=0.93, limit=15 GB, by_kind={"pdf": 3}'
    assert describe(event("maintenance", {}, provider=None)) == "Maintenance"


def test_an_unknown_provider_is_named_as_stored():
    assert describe(event("connector_connected", {}, provider="dropbox")) == "dropbox account connected"


@pytest.mark.parametrize(
    "context",
    [
        {"files_imported": "many", "mode": 3, "run_id": 12},
        {"missed": ["new"], "attempt": {"n": 2}, "reason": 5},
        {"external_id": None, "detail": ["x"]},
    ],
)
@pytest.mark.parametrize(
    "name",
    [
        "connector_sync_completed",
        "connector_sync_failed",
        "connector_job_retried",
        "connector_reconciliation_completed",
        "connector_cursor_reset",
        "item_skipped",
        "item_deleted",
    ],
)
def test_odd_context_values_never_crash(name, context):
    assert_terminal_safe(describe(event(name, context)))


def test_hostile_names_and_text_are_escaped():
    hostile_event = event("evil_\u202eevent\x1b[31m", {"na\u202eme": "two\nlines", "ok": "fine\u2028"})
    assert describe(hostile_event) == (
        "Google Drive: Evil \\u202eevent\\u001b[31m – na\\u202eme=two\\u000alines, ok=fine\\u2028"
    )

    item = event("item_deleted", {"external_id": "id\x07", "reason": "trash\u202eed"})
    assert describe(item, "Report\u202etxt.exe\x1b]0;pwned\x07") == (
        'Google Drive: "Report\\u202etxt.exe\\u001b]0;pwned\\u0007" deleted (trash\\u202eed)'
    )
    assert describe(item) == "Google Drive: item id\\u0007 deleted (trash\\u202eed)"

    failed = event("connector_sync_failed", {"run_id": "\u202e" + RUN, "error": "boom\r\nFAKE LINE " + "x" * 500})
    line = describe(failed)
    assert line.startswith("Google Drive sync failed (run \\u202ecb26324): boom\\u000d\\u000aFAKE LINE xxx")
    assert line.endswith("x…") and len(line) < 250
    for record in (hostile_event, item, failed):
        assert_terminal_safe(describe(record, "\u2067title\u2069"))


# -- the commands, on a real store -----------------------------------------------------------------


@pytest.fixture
def store(connectors_env: Settings) -> Iterator[Store]:
    opened = Store.open(connectors_env.database_url, resolve_keyring(connectors_env, allow_demo_key=False))
    yield opened
    opened.dispose()


@pytest.fixture
def two_accounts(store: Store) -> tuple[str, str]:
    """Ada's account synced (one document imported, one item skipped); Bob's sync failed."""
    ada = connect(store, "ada", display_name="Ada").partition_key
    bob = connect(store, "bob", display_name="Bob").partition_key
    store.save_remote_items(ada, [remote("doc-1"), remote("doc-2", name="backup\u202e.iso")])
    job = store.start_job(ada, run_id=RUN, job_type="initial_sync")
    store.log_activity("connector_sync_started", partition_key=ada, context={"run_id": RUN, "mode": "initial"})
    ingest(store, ada, "doc-1", "quarterly numbers", title="Quarterly report")
    store.record_skip(ada, "doc-2", "policy_max_size", "5 GB over the 100 MB limit")
    counts = {"files_imported": 1, "files_unchanged": 0, "files_skipped": 1}
    store.finish_job(job, status="succeeded", counts=counts)
    store.log_activity("connector_sync_completed", partition_key=ada, context={"run_id": RUN, **counts})

    failed = store.start_job(bob, run_id="99aa7e10-0000-4000-8000-000000000000", job_type="initial_sync", attempt=3)
    error = "snapshot: AuthRevokedError: \x1b[2Jtoken revoked " + "y" * 200
    store.finish_job(failed, status="failed", counts={"failed_step": "snapshot"}, error=error)
    store.log_activity("connector_sync_failed", partition_key=bob, context={"run_id": "99aa7e10", "error": error})
    store.start_job(None, run_id=None, job_type="reencrypt")
    return ada, bob


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def cells(header: str, row: str) -> dict[str, str]:
    """A table row's cells by heading: each column runs from its heading to the next one."""
    starts = [m.start() for m in re.finditer(r"\S+", header)]
    ends = [*starts[1:], len(row)]
    return {name: row[start:end].strip() for name, start, end in zip(header.split(), starts, ends, strict=True)}


def messages(output: str) -> list[str]:
    """The lines without their leading timestamp, which the tests cannot know."""
    lines = output.splitlines()
    assert all(re.match(TIME + "  ", line) for line in lines), output
    return [line[18:] for line in lines]


def test_activity_of_one_account_reads_newest_first(two_accounts):
    ada, _ = two_accounts

    assert messages(invoke("activity", "--account", ada)) == [
        "Google Drive sync completed – 1 file imported, 1 skipped",
        'Google Drive: "backup\\u202e.iso" skipped (larger than the policy allows: 5 GB over the 100 MB limit)',
        'Google Drive: "Quarterly report" imported',
        "Google Drive initial sync started (run cb263242)",
        "Google Drive account connected",
    ]
    assert messages(invoke("activity", "--account", ada, "--limit", "1")) == [
        "Google Drive sync completed – 1 file imported, 1 skipped"
    ]


def test_activity_across_accounts_names_each_events_account(two_accounts):
    ada, bob = two_accounts

    output = invoke("activity", "--limit", "3")

    assert messages(output) == [
        f"{bob}  Google Drive sync failed (run 99aa7e10): snapshot: AuthRevokedError: \\u001b[2Jtoken revoked "
        + "y" * 113
        + "…",
        f"{ada}  Google Drive sync completed – 1 file imported, 1 skipped",
        f'{ada}  Google Drive: "backup\\u202e.iso" skipped (larger than the policy allows: 5 GB over the 100 MB limit)',
    ]
    assert_terminal_safe(output.replace("\n", ""))


def test_activity_json_is_a_list_of_stable_objects(two_accounts):
    ada, bob = two_accounts

    everything = json.loads(invoke("activity", "--json"))
    (ingested,) = json.loads(invoke("activity", "--json", "--account", ada, "--limit", "3"))[2:]

    assert {tuple(sorted(e)) for e in everything} == {
        ("context", "created_at", "event", "id", "message", "partition_key", "provider", "title")
    }
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert all(datetime.fromisoformat(e["created_at"]).tzinfo is not None for e in everything)
    assert {e["partition_key"] for e in everything} == {ada, bob}
    assert ingested["event"] == "item_ingested"
    assert (ingested["provider"], ingested["partition_key"], ingested["title"]) == (
        "google_drive",
        ada,
        "Quarterly report",
    )
    assert ingested["message"] == 'Google Drive: "Quarterly report" imported'
    assert set(ingested["context"]) == {"external_id", "document_id", "version"}


def test_jobs_table_and_json(two_accounts):
    ada, bob = two_accounts

    header, *rows = invoke("jobs").splitlines()
    assert header.split() == ["STARTED", "PROVIDER", "ACCOUNT", "TYPE", "STATUS", "ATTEMPTS", "COUNTS", "RUN", "ERROR"]
    table = [{k: v for k, v in cells(header, row).items() if k != "STARTED"} for row in rows]
    # The job of no account (a deployment-wide one) is nobody's: no person's listing shows it.
    assert table == [
        {
            "PROVIDER": "Google Drive",
            "ACCOUNT": bob,
            "TYPE": "initial_sync",
            "STATUS": "failed",
            "ATTEMPTS": "3",
            "COUNTS": "-",
            "RUN": "99aa7e10",
            "ERROR": "snapshot: AuthRevokedError: \\u001b[2Jtoken revoked " + "y" * 13 + "…",
        },
        {
            "PROVIDER": "Google Drive",
            "ACCOUNT": ada,
            "TYPE": "initial_sync",
            "STATUS": "succeeded",
            "ATTEMPTS": "1",
            "COUNTS": "1 imported, 1 skipped",
            "RUN": "cb263242",
            "ERROR": "",
        },
    ]
    assert all(re.match(TIME + "  ", row) for row in rows)

    (only_bob,) = json.loads(invoke("jobs", "--json", "--account", bob))
    assert only_bob == {
        "id": only_bob["id"],
        "started_at": only_bob["started_at"],
        "finished_at": only_bob["finished_at"],
        "provider": "google_drive",
        "partition_key": bob,
        "job_type": "initial_sync",
        "status": "failed",
        "attempts": 3,
        "counts": {"failed_step": "snapshot"},
        "dagster_run_id": "99aa7e10-0000-4000-8000-000000000000",
        "error": "snapshot: AuthRevokedError: \x1b[2Jtoken revoked " + "y" * 200,
    }
    assert datetime.fromisoformat(only_bob["started_at"]) <= datetime.fromisoformat(only_bob["finished_at"])
    assert [job["partition_key"] for job in json.loads(invoke("jobs", "--json", "--limit", "1"))] == [bob]


def test_empty_listings_and_an_unknown_account(store):
    assert invoke("activity") == "No activity yet.\n"
    assert invoke("jobs") == "No jobs yet.\n"
    assert json.loads(invoke("jobs", "--json")) == []
    assert json.loads(invoke("activity", "--json")) == []

    for command in ("activity", "jobs"):
        result = CliRunner().invoke(main, [command, "--account", "google_drive-000000000000"])
        assert result.exit_code != 0
        assert "no connector account with partition key 'google_drive-000000000000'" in result.output
