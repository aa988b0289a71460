"""A sandbox with one Gmail user, connected through the real OAuth flow, and real MIME messages to send it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import Resource, build

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.providers.gmail import GMAIL_SCOPES, GmailProvider
from connectors_pipeline.providers.google_oauth import authorize
from connectors_pipeline.sandbox import Mailbox, SandboxServer, SandboxState, sandbox_client_config

EMAIL = "ada@example.com"
GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"


def compose(
    subject: str | None = "Hello",
    body: str = "Plain words in the body.",
    *,
    sender: str = "Bob Sender <bob@example.org>",
    to: str = EMAIL,
    charset: str = "utf-8",
    html: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A real RFC 822 message: text (and HTML) in `charset`, plus (filename, mime, bytes) attachments."""
    msg = EmailMessage()
    if subject is not None:
        msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = "Mon, 06 Jan 2025 09:00:00 +0000"
    msg["Message-ID"] = message_id or f"<{abs(hash((subject, body))) % 10**12}@example.org>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body, charset=charset)
    if html is not None:
        msg.add_alternative(html, subtype="html", charset=charset)
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


@dataclass
class GmailWorld:
    state: SandboxState
    server: SandboxServer
    client: OAuthClientConfig
    tokens: OAuthTokens
    saved: list[OAuthTokens] = field(default_factory=list)
    email: str = EMAIL

    @property
    def mailbox(self) -> Mailbox:
        return self.state.mailbox(self.email)

    def provider(self, **kwargs: Any) -> GmailProvider:
        return GmailProvider(self.client, self.tokens, self.saved.append, **kwargs)

    def service(self, scopes: Sequence[str] = GMAIL_SCOPES) -> Resource:
        """The real Gmail client on the sandbox, with tokens of the given scopes."""
        access, refresh = self.state.issue_tokens(self.email, tuple(scopes))
        creds = Credentials(
            token=access,
            refresh_token=refresh,
            token_uri=self.client.token_uri,
            client_id=self.client.client_id,
            client_secret=self.client.client_secret.get_secret_value(),
        )
        return build("gmail", "v1", credentials=creds, discoveryServiceUrl=self.client.discovery_url)

    def requests_to(self, fragment: str) -> int:
        return sum(1 for r in self.state.requests if fragment in r.path)


def gmail_world() -> Iterator[GmailWorld]:
    state = SandboxState()
    state.add_user(EMAIL)
    with SandboxServer(state, port=0) as server:
        client = sandbox_client_config(server.url)
        tokens = authorize(client, GMAIL_SCOPES, mode="sandbox", login_hint=EMAIL, echo=lambda _: None)
        yield GmailWorld(state, server, client, tokens)
