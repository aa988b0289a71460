"""What every Google API client of ours shares: credentials, the service, per-thread HTTP, guarded calls.

httplib2.Http is not thread-safe, so every thread gets its own `AuthorizedHttp` (threading.local)
while all of them share one Credentials object whose refresh is serialised by a lock. The
service object only builds request objects (no I/O) and is shared; each request is executed with
the calling thread's http. Drive (google_drive/client.py) and Gmail (gmail/client.py) build on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC
from typing import Any, TypeVar

import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest
from pydantic import SecretStr

from connectors_pipeline.domain.credentials import OAuthClientConfig, OAuthTokens
from connectors_pipeline.providers.base import TokenSaver
from connectors_pipeline.providers.google_errors import translate
from connectors_pipeline.resilience import CallGuard
from connectors_pipeline.resilience.guard import UNGUARDED

T = TypeVar("T")


_discovery_documents: dict[str, str] = {}
_discovery_lock = threading.Lock()


def discovery_document(url_template: str, timeout: float, api: str = "drive", version: str = "v3") -> str:
    """An API's discovery document served at a custom URL (a sandbox), fetched once per process:
    a sensor polling a thousand accounts builds a thousand clients."""
    url = url_template.replace("{api}", api).replace("{apiVersion}", version)
    with _discovery_lock:
        if url not in _discovery_documents:
            response, content = httplib2.Http(timeout=timeout).request(url)
            if response.status != 200:
                raise HttpError(response, content, uri=url)
            _discovery_documents[url] = content.decode("utf-8")
        return _discovery_documents[url]


class LockedCredentials(Credentials):
    """User credentials whose refresh is serialised, so threads never refresh concurrently."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._refresh_lock = threading.RLock()

    def refresh(self, request: Any) -> None:
        with self._refresh_lock:
            super().refresh(request)

    def before_request(self, request: Any, method: Any, url: Any, headers: Any) -> None:
        # a thread that waited for another's refresh re-checks validity inside and skips its own
        with self._refresh_lock:
            super().before_request(request, method, url, headers)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


class GoogleApiClient:
    """The pieces every call of one Google API needs: shared credentials, per-thread http, error
    translation, and the account's CallGuard (breaker, rate limiter, retries) around every request."""

    api = "drive"
    version = "v3"
    display_name = "Drive"

    def __init__(
        self,
        client: OAuthClientConfig,
        tokens: OAuthTokens,
        save_tokens: TokenSaver,
        *,
        timeout: float = 60.0,
        guard: CallGuard = UNGUARDED,
    ):
        expiry = tokens.expiry
        if expiry is not None and expiry.tzinfo is not None:
            expiry = expiry.astimezone(UTC).replace(tzinfo=None)  # google-auth compares naive UTC
        self._client = client
        self._creds = LockedCredentials(
            token=_secret(tokens.access_token),
            refresh_token=_secret(tokens.refresh_token),
            token_uri=client.token_uri,
            client_id=client.client_id,
            client_secret=client.client_secret.get_secret_value(),
            scopes=list(tokens.scopes) or None,
            expiry=expiry,
        )
        self._save_tokens = save_tokens
        self._saved_token = self._creds.token
        self._save_lock = threading.Lock()
        self._timeout = timeout
        self.guard = guard
        self._local = threading.local()
        self._service: Any = None
        self._service_lock = threading.Lock()
        self.cache: dict[str, Any] = {}  # per-account facts that never change, e.g. the My Drive root id

    @property
    def credentials(self) -> Credentials:
        return self._creds

    def secrets(self) -> tuple[str | None, ...]:
        return (self._creds.token, self._creds.refresh_token, self._client.client_secret.get_secret_value())

    @property
    def service(self) -> Any:
        """The API resource, built on first use (a sandbox serves its own discovery document)."""
        with self._service_lock:
            if self._service is None:
                # Not through the guard: building is no request to the account's API (the discovery
                # document is fetched once per process), so it must not close the account's breaker.
                what = f"building the {self.display_name} client"
                self._service = self._translated(self._build, what, None)
            return self._service

    def _build(self) -> Any:
        if self._client.discovery_url:
            document = discovery_document(self._client.discovery_url, self._timeout, self.api, self.version)
        else:
            document = get_static_doc(self.api, self.version)  # bundled with the library: no network
        return build_from_document(document, credentials=self._creds)

    def http(self) -> google_auth_httplib2.AuthorizedHttp:
        """This thread's authorized http (created on first use)."""
        authed = getattr(self._local, "http", None)
        if authed is None:
            authed = google_auth_httplib2.AuthorizedHttp(self._creds, http=httplib2.Http(timeout=self._timeout))
            self._local.http = authed
        return authed

    def close(self) -> None:
        authed = getattr(self._local, "http", None)
        if authed is not None:
            authed.close()
            self._local.http = None

    def call(self, fn: Callable[[], T], what: str, *, operation: str | None = None) -> T:
        """Run `fn` under the guard (each attempt's failure translated to a domain error first) and
        persist a token refreshed along the way."""
        return self.guard.call(lambda: self._translated(fn, what, operation))

    def _translated(self, fn: Callable[[], T], what: str, operation: str | None) -> T:
        try:
            return fn()
        except Exception as exc:
            # `from None`: the library exception's text holds URIs; the domain message has what matters
            raise translate(exc, what, operation=operation, secrets=self.secrets()) from None
        finally:
            self.persist_refreshed_token()

    def execute(self, request: HttpRequest, what: str) -> Any:
        """Execute one API request on this thread's http; the guard retries, not the library (num_retries=0)."""
        return self.call(lambda: request.execute(http=self.http(), num_retries=0), what)

    def current_tokens(self) -> OAuthTokens:
        creds = self._creds
        return OAuthTokens(
            access_token=SecretStr(creds.token) if creds.token else None,
            refresh_token=SecretStr(creds.refresh_token) if creds.refresh_token else None,
            expiry=creds.expiry,
            scopes=tuple(creds.scopes or ()),
        )

    def persist_refreshed_token(self) -> None:
        """Hand a token google-auth refreshed (on 401 or near expiry) to the caller to store."""
        with self._save_lock:
            token = self._creds.token
            if token == self._saved_token:
                return
            self._save_tokens(self.current_tokens())
            self._saved_token = token
