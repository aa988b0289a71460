"""Fills a sandbox user's drive from a corpus, and gives the OAuth client config that points at a sandbox."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import SecretStr

from connectors_pipeline.domain.credentials import OAuthClientConfig
from connectors_pipeline.sandbox.corpus import CorpusFile
from connectors_pipeline.sandbox.oauth_grants import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from connectors_pipeline.sandbox.state import SandboxState


def seed_drive(state: SandboxState, email: str, corpus: Sequence[CorpusFile]) -> dict[int, str]:
    """Create the corpus in `email`'s My Drive (adding the user if needed); corpus index -> file id.

    Folders are created once per path; shortcuts are created after every other entry so they can
    point at any index; entries marked trashed are trashed last, like a user cleaning up.
    """
    state.add_user(email)
    drive = state.drive(email)
    folders: dict[tuple[str, ...], str] = {(): drive.root_id}

    def folder_id(path: tuple[str, ...]) -> str:
        if path not in folders:
            folders[path] = drive.create_folder(path[-1], folder_id(path[:-1]))
        return folders[path]

    ids: dict[int, str] = {}
    with state.lock:
        for index, entry in enumerate(corpus):
            if entry.shortcut_to is not None:
                continue
            ids[index] = drive.create_file(
                entry.name,
                folder_id(entry.folder),
                entry.mime_type,
                content=entry.content,
                native=entry.native,
                owner_email=entry.owner,
            )
        for index, entry in enumerate(corpus):
            if entry.shortcut_to is not None:
                if entry.shortcut_to not in ids:
                    raise ValueError(f"corpus entry {index} is a shortcut to {entry.shortcut_to}, which is no file")
                ids[index] = drive.add_shortcut(entry.name, folder_id(entry.folder), ids[entry.shortcut_to])
        for index, entry in enumerate(corpus):
            if entry.trashed:
                drive.trash(ids[index])
    return dict(sorted(ids.items()))


def sandbox_client_config(base_url: str) -> OAuthClientConfig:
    """The OAuth client and endpoints of a sandbox at `base_url`: all that differs from production."""
    base = base_url.rstrip("/")
    return OAuthClientConfig(
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SecretStr(SANDBOX_CLIENT_SECRET),
        auth_uri=f"{base}/o/oauth2/auth",
        token_uri=f"{base}/token",
        revoke_uri=f"{base}/revoke",
        discovery_url=f"{base}/discovery/v1/apis/{{api}}/{{apiVersion}}/rest",
        api_base_url=base,  # Notion's API (notion-client appends /v1/)
    )
