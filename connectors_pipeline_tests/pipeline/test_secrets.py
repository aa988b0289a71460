"""No plaintext token reaches the database, the logs, Dagster's event log or its storage, even across a refresh."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from dagster import serialize_value

from connectors_pipeline.definitions import defs
from connectors_pipeline_tests.pipeline.conftest import USER


def plaintext_tokens(world) -> set[str]:
    _client, tokens = world.store.load_credentials(world.key)
    return {tokens.access_token.get_secret_value(), tokens.refresh_token.get_secret_value()}


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def every_row_of_every_table(store) -> bytes:
    """The store's whole content as text, whichever database holds it."""
    dump = []
    with store.engine.connect() as conn:
        metadata = sa.MetaData()
        metadata.reflect(bind=conn)
        for table in metadata.sorted_tables:
            dump.extend(repr(tuple(row)) for row in conn.execute(sa.select(table)))
    return "\n".join(dump).encode()


def test_tokens_never_appear_in_plaintext_anywhere(drive_world, connectors_env, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    seen_tokens = plaintext_tokens(drive_world)
    drive_world.state.expire_access_tokens(USER)  # the sync must refresh, then persist the new token

    result = defs.resolve_job_def("google_drive_sync").execute_in_process(
        partition_key=drive_world.key, instance=drive_world.instance
    )

    assert result.success
    seen_tokens |= plaintext_tokens(drive_world)
    assert len(seen_tokens) == 3, "the refreshed access token was persisted (encrypted) for the next run"
    # The failure path too: consent revoked, the refresh is refused, errors are recorded everywhere.
    drive_world.state.revoke_user_grants(USER)
    drive_world.state.expire_access_tokens(USER)
    failed = defs.resolve_job_def("google_drive_sync").execute_in_process(
        partition_key=drive_world.key, instance=drive_world.instance, raise_on_error=False
    )
    assert not failed.success and "invalid_grant" in drive_world.store.get_account(drive_world.key).last_error
    haystacks: dict[str, bytes] = {"store rows": every_row_of_every_table(drive_world.store)}
    drive_world.store.dispose()  # flush SQLite's WAL into the file we read as bytes too

    for path in files_under(connectors_env.home):  # the store, WAL, blobs and keys
        haystacks[str(path)] = path.read_bytes()
    for path in files_under(Path(drive_world.instance.root_directory)):  # Dagster's run and event storage
        haystacks[str(path)] = path.read_bytes()
    for run in (result, failed):
        for record in drive_world.instance.all_logs(run.run_id):
            haystacks[f"event {run.run_id[:8]} {record.dagster_event_type}"] = serialize_value(record).encode()
    captured = capfd.readouterr()
    haystacks["stdout/stderr"] = (captured.out + captured.err).encode()
    haystacks["log records"] = "\n".join(r.getMessage() for r in caplog.records).encode()

    assert b"v1:" in haystacks["store rows"], "the encrypted credentials were among the rows searched"
    leaks = [(name, token[:12]) for name, blob in haystacks.items() for token in seen_tokens if token.encode() in blob]
    assert leaks == []
