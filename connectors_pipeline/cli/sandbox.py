"""`connectors sandbox serve`: the loopback provider emulator, seeded with a deterministic corpus."""

from __future__ import annotations

import click

DEFAULT_USER = "ada@example.com"


def seed_user(state, email: str, files: int, seed: int) -> None:
    """Give a sandbox user a Drive corpus, a Notion workspace and a mailbox (all deterministic)."""
    from connectors_pipeline.sandbox import seed_drive, seed_gmail, seed_notion
    from connectors_pipeline.sandbox.corpus import generate_corpus
    from connectors_pipeline.sandbox.gmail_corpus import mail_corpus

    state.add_user(email)
    seed_drive(state, email, generate_corpus(seed=seed, files=files))
    seed_notion(state, email)
    seed_gmail(state, email, mail_corpus())


@click.group()
def sandbox() -> None:
    """The provider sandbox (Google OAuth2, Drive v3, Gmail v1 and Notion on 127.0.0.1)."""


@sandbox.command("serve")
@click.option("--port", default=8765, show_default=True)
@click.option(
    "--user",
    "users",
    multiple=True,
    default=[DEFAULT_USER],
    show_default=True,
    help="Sandbox user e-mail; repeat for several accounts.",
)
@click.option("--files", default=40, show_default=True, help="Corpus size per user.")
@click.option("--seed", default=0, show_default=True)
@click.option("--latency-ms", default=0, show_default=True, help="Added to every API request.")
@click.option(
    "--notion-rate", default=3.0, show_default=True, help="Notion requests a second per connection (0: unlimited)."
)
def serve(port: int, users: tuple[str, ...], files: int, seed: int, latency_ms: int, notion_rate: float) -> None:
    """Serve until interrupted; connect with `connectors accounts connect google_drive|notion|gmail --sandbox`."""
    from connectors_pipeline.sandbox import SandboxState, serve_forever

    state = SandboxState(latency_ms=latency_ms)  # seed 0, as the demo: the same ids, tokens still valid
    state.notion_rate_limit = (notion_rate, max(notion_rate, 1.0) * 3) if notion_rate > 0 else None
    for offset, email in enumerate(users):
        seed_user(state, email, files, seed + offset)
    click.echo(f"Sandbox on http://127.0.0.1:{port} with {len(users)} user(s), {files} files each. Ctrl-C stops it.")
    serve_forever(state, "127.0.0.1", port)
