"""`connectors activity` and `connectors jobs`: what the pipeline did, newest first."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from connectors_pipeline.cli.activity_text import count_phrase, describe, provider_name, short_run, text
from connectors_pipeline.cli.display import shown
from connectors_pipeline.cli.runtime import current_principal, fail, open_store
from connectors_pipeline.domain.principal import AccountScope
from connectors_pipeline.settings import Settings
from connectors_pipeline.store import AccountNotFound, ActivityRecord, JobRecord, Store

TIME_FORMAT = "%Y-%m-%d %H:%M"  # UTC, as the store records it
JOB_COUNTS = (
    ("files_imported", "imported"),
    ("files_skipped", "skipped"),
    ("files_removed", "removed"),
    ("files_deferred", "deferred"),
)
MAX_ERROR = 60

account_option = click.option("--account", "partition_key", default=None, help="Only this account (partition key).")
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def item_titles(store: Store, records: list[ActivityRecord], scope: AccountScope) -> dict[int, str]:
    """Record id -> the name of the item its event is about, where one is known (in the scope): the
    vault document's title, else the item's last seen name. Two batched queries for the whole page."""
    items = [r for r in records if r.event.startswith("item_")]
    titles = store.document_titles((doc for r in items if (doc := _document_id(r)) is not None), scope=scope)
    names = store.item_names((ref for r in items if (ref := _item_ref(r)) is not None), scope=scope)
    found: dict[int, str] = {}
    for r in items:
        doc, ref = _document_id(r), _item_ref(r)
        title = (titles.get(doc) if doc is not None else None) or (names.get(ref) if ref is not None else None)
        if title:
            found[r.id] = title
    return found


def _document_id(record: ActivityRecord) -> int | None:
    value = record.context.get("document_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _item_ref(record: ActivityRecord) -> tuple[str, str] | None:
    external_id = record.context.get("external_id")
    if record.partition_key is None or not isinstance(external_id, str):
        return None
    return record.partition_key, external_id


@click.command()
@account_option
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@json_option
def activity(partition_key: str | None, limit: int, as_json: bool) -> None:
    """Recent events of your accounts: connections, syncs, items.

    Newest first, one line each; times are UTC."""
    scope = current_principal().scope
    with open_store(Settings.from_env()) as store:
        try:
            records = store.list_activity(limit=limit, partition_key=partition_key, scope=scope)
        except AccountNotFound as exc:
            raise fail(exc) from exc
        titles = item_titles(store, records, scope)
    if as_json:
        click.echo(json.dumps([activity_json(r, titles.get(r.id)) for r in records], indent=2))
        return
    if not records:
        click.echo("No activity yet.")
    # Name the account on each line only when the page mixes accounts.
    several = len({r.partition_key for r in records if r.partition_key}) > 1
    width = max((len(r.partition_key or "-") for r in records), default=0)
    for r in records:
        account = f"{shown(r.partition_key or '-'):<{width}}  " if several else ""
        click.echo(f"{r.created_at:{TIME_FORMAT}}  {account}{describe(r, titles.get(r.id))}")


def activity_json(record: ActivityRecord, title: str | None) -> dict[str, Any]:
    return {
        "id": record.id,
        "created_at": _iso(record.created_at),
        "event": record.event,
        "provider": record.provider,
        "partition_key": record.partition_key,
        "title": title,
        "message": describe(record, title),
        "context": record.context,
    }


@click.command()
@account_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@json_option
def jobs(partition_key: str | None, limit: int, as_json: bool) -> None:
    """Sync job runs of your accounts: status, counts, errors.

    Newest first; times are UTC."""
    scope = current_principal().scope
    with open_store(Settings.from_env()) as store:
        try:
            rows = store.list_jobs(limit=limit, partition_key=partition_key, scope=scope)
        except AccountNotFound as exc:
            raise fail(exc) from exc
    if as_json:
        click.echo(json.dumps([job_json(job) for job in rows], indent=2))
        return
    if not rows:
        click.echo("No jobs yet.")
        return
    header = ("STARTED", "PROVIDER", "ACCOUNT", "TYPE", "STATUS", "ATTEMPTS", "COUNTS", "RUN", "ERROR")
    click.echo("\n".join(table([header, *(job_row(job) for job in rows)])))


def job_row(job: JobRecord) -> tuple[str, ...]:
    return (
        f"{job.started_at:{TIME_FORMAT}}",
        provider_name(job.provider) or "-",
        shown(job.partition_key) or "-",
        shown(job.job_type),
        shown(job.status),
        str(job.attempts),
        count_phrase(job.counts, JOB_COUNTS, unit=None) or "-",
        short_run(job.dagster_run_id) if job.dagster_run_id else "-",
        text(job.error, MAX_ERROR) if job.error else "",
    )


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """Left-aligned columns two spaces apart; the last column is not padded."""
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip() for row in rows
    ]


def job_json(job: JobRecord) -> dict[str, Any]:
    return {
        "id": job.id,
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "provider": job.provider,
        "partition_key": job.partition_key,
        "job_type": job.job_type,
        "status": job.status,
        "attempts": job.attempts,
        "counts": job.counts,
        "dagster_run_id": job.dagster_run_id,
        "error": job.error,
    }
