"""Runs the sandbox app under uvicorn: in a background thread for tests, or in the foreground for the CLI."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import httpx
import uvicorn

from connectors_pipeline.sandbox.app import create_app
from connectors_pipeline.sandbox.state import SandboxState


def _config(state: SandboxState, host: str, port: int, log_level: str) -> uvicorn.Config:
    # Access logs off: quiet test output, and nothing that looks like a request URL ends up in logs.
    return uvicorn.Config(
        create_app(state),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )


class SandboxServer:
    """`with SandboxServer(state) as server:` serves `state` at `server.url` until the block ends."""

    def __init__(self, state: SandboxState, port: int = 0, host: str = "127.0.0.1", log_level: str = "warning") -> None:
        self.state = state
        self.host = host
        self._requested_port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = port

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. http://127.0.0.1:54321."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        # Bind first so port 0 resolves to a real port before the thread starts, and no race on it.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        self._server = uvicorn.Server(_config(self.state, self.host, self.port, self._log_level))
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name=f"sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sandbox server did not start on {self.url}")
            time.sleep(0.01)
        # Prove it answers over HTTP, not just that the loop started (/healthz is not in the request log).
        httpx.get(f"{self.url}/healthz", timeout=timeout).raise_for_status()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(state: SandboxState, host: str = "127.0.0.1", port: int = 8765, log_level: str = "info") -> None:
    """Serve in the foreground until Ctrl-C (for `connectors sandbox serve --port P`)."""
    uvicorn.Server(_config(state, host, port, log_level)).run()
