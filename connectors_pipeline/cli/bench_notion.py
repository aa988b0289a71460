"""`connectors bench notion`: an initial sync of a Notion workspace under Notion's rate limit.

The sandbox enforces the limit as Notion does (429 rate_limited with Retry-After past it); the
account's rate limiter should keep the sync just under it: no request refused, and a request rate
close to the limit (a sync slower than that wastes the budget Notion grants).
"""

from __future__ import annotations

import os
import time

import click

from connectors_pipeline.cli.bench_setup import BENCH_USER, bench_account
from connectors_pipeline.cli.dagster_runs import run_sync
from connectors_pipeline.cli.display import print_figures

NOTION_API_PATHS = r"^/v1/(?!oauth/)"


@click.command("notion")
@click.option("--pages", default=300, show_default=True, help="Pages in the sandbox workspace.")
@click.option("--rate", default=3.0, show_default=True, help="The sandbox's limit, requests a second per connection.")
@click.option("--burst", default=9.0, show_default=True, help="Requests the sandbox lets through at once.")
@click.option("--json", "as_json", is_flag=True)
def notion(pages: int, rate: float, burst: float, as_json: bool) -> None:
    """Initial Notion sync through Dagster under the sandbox's rate limit: requests, refusals, rate."""
    from connectors_pipeline.definitions import defs
    from connectors_pipeline.sandbox import SandboxState
    from connectors_pipeline.sandbox.notion_corpus import generate_notion_pages

    state = SandboxState()
    state.add_user(BENCH_USER)
    generate_notion_pages(state, BENCH_USER, pages=pages, seed=1)
    os.environ["CONNECTORS_NOTION_REQUESTS_PER_SECOND"] = str(rate)  # what Notion grants one connection
    with bench_account(state, "notion") as account:
        state.notion_rate_limit = (rate, burst)  # after connecting: the OAuth exchange is not rate limited
        state.reset_requests()
        started = time.monotonic()
        run = run_sync(account.instance, defs, "notion", account.key)
        seconds = time.monotonic() - started
        requests = state.requests_to(NOTION_API_PATHS)
        synced = len(account.store.load_items(account.key, statuses=("synced",)))
    refused = [r for r in requests if r.status == 429]
    failed = [r for r in requests if r.status >= 400]
    span = (requests[-1].at - requests[0].at) if len(requests) > 1 else 0.0
    request_rate = (len(requests) - 1) / span if span else 0.0
    print_figures(
        {
            "pages_in_workspace": pages,
            "items_synced": synced,
            "run_succeeded": run.success,
            "sync_seconds": round(seconds, 2),
            "requests": len(requests),
            "requests_refused_429": len(refused),
            "requests_failed": len(failed),
            "limit_requests_per_second": rate,
            "request_rate_per_second": round(request_rate, 2),
            "rate_to_limit_ratio": round(request_rate / rate, 3),
        },
        as_json,
    )
