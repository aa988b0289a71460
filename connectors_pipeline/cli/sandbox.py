"""`connectors sandbox serve`: the loopback provider emulator, seeded with a deterministic corpus."""

from __future__ import annotations

import click

DEFAULT_USER = "ada@example.com"


@click.group()
def sandbox() -> None:
    """The provider sandbox (Google OAuth2 + Drive v3 on 127.0.0.1)."""


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
def serve(port: int, users: tuple[str, ...], files: int, seed: int, latency_ms: int) -> None:
    """Serve until interrupted; connect with `connectors accounts connect google_drive --sandbox`."""
    from connectors_pipeline.sandbox import SandboxState, seed_drive, serve_forever
    from connectors_pipeline.sandbox.corpus import generate_corpus

    state = SandboxState(latency_ms=latency_ms)
    for offset, email in enumerate(users):
        state.add_user(email)
        seed_drive(state, email, generate_corpus(seed=seed + offset, files=files))
    click.echo(f"Sandbox on http://127.0.0.1:{port} with {len(users)} user(s), {files} files each. Ctrl-C stops it.")
    serve_forever(state, "127.0.0.1", port)
