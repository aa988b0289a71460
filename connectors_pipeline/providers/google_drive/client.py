"""The Drive client: the shared Google API client (providers/google_api.py) plus chunked media downloads."""

from __future__ import annotations

from typing import BinaryIO

from googleapiclient.http import HttpRequest, MediaIoBaseDownload

from connectors_pipeline.domain.errors import ConnectorError, TransientError
from connectors_pipeline.providers.google_api import GoogleApiClient, discovery_document

__all__ = ["DriveClient", "discovery_document"]


class DriveClient(GoogleApiClient):
    """Drive v3 for one account; see GoogleApiClient for threads, tokens and the guard."""

    api = "drive"
    version = "v3"
    display_name = "Drive"

    def download(self, request: HttpRequest, out: BinaryIO, chunk_bytes: int, what: str, *, operation: str) -> int:
        """Stream a media request into `out` in Range chunks; returns the bytes written."""
        start = out.tell() if out.seekable() else None
        attempted = False

        def run() -> int:
            nonlocal attempted
            if start is not None:
                out.seek(start)  # a retry starts over: drop what a failed attempt wrote
                out.truncate()
            elif attempted:
                raise ConnectorError(f"{what}: cannot retry a download into a stream that cannot rewind")
            attempted = True
            request.http = self.http()  # MediaIoBaseDownload sends every chunk through request.http
            downloader = MediaIoBaseDownload(out, request, chunksize=chunk_bytes)
            done = False
            while not done:
                _, done = downloader.next_chunk(num_retries=0)
                self.persist_refreshed_token()
            written = (out.tell() - start) if start is not None else downloader._progress
            total = downloader._total_size
            if total is not None and written != int(total):
                raise TransientError(f"{what}: truncated body ({written} of {total} bytes)")
            return written

        return self.call(run, what, operation=operation)
