"""Websocket clients for the tests: in-process, through the whole application stack."""

import contextlib

from channels.testing import WebsocketCommunicator

from config.asgi import application

ORIGIN = b"http://localhost"


def communicator(path, origin=ORIGIN):
    """A client for `path`; origin=None sends no Origin header at all."""
    headers = [(b"origin", origin)] if origin is not None else []
    return WebsocketCommunicator(application, path, headers=headers)


@contextlib.asynccontextmanager
async def open_websocket(path, origin=ORIGIN):
    """A connected client for `path`, disconnected when the block ends."""
    client = communicator(path, origin)
    connected, _ = await client.connect()
    assert connected, f"the handshake for {path} was refused"
    try:
        yield client
    finally:
        await client.disconnect()
