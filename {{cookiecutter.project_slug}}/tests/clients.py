"""Websocket clients for the tests, through the project's whole websocket stack."""

import contextlib

from channels.testing import WebsocketCommunicator
from django.urls import path

from config.asgi import application
from config.websocket import router

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


@contextlib.contextmanager
def served_at(url_path, consumer_class):
    """`consumer_class` routed at `url_path` by the project's own stack, for a while.

    For tests of what every socket gets, with consumers of their own rather
    than the sample apps', which you may delete.
    """
    route = path(url_path.lstrip("/"), consumer_class.as_asgi())
    router.routes.append(route)
    try:
        yield url_path
    finally:
        router.routes.remove(route)
