"""ASGI request bodies read ahead of the routes: the middleware and the faults look first, routes still read."""

from __future__ import annotations

from starlette.types import Message, Receive


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that hands out `body` once, then the server's own (which reports the disconnect)."""
    pending = [body]

    async def replayed() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()

    return replayed


async def until_disconnect(receive: Receive) -> None:
    """Returns when the client hangs up; the request body must have been read already."""
    while (await receive())["type"] != "http.disconnect":
        pass
