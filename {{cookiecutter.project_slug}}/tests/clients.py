"""Websocket clients for the tests, through the project's whole websocket stack."""

import contextlib

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import path

from config.asgi import application
from config.routing import websocket_urlpatterns

ORIGIN = b"http://localhost"


def communicator(path, origin=ORIGIN, cookie=None, subprotocols=None):
    """A client for `path`; origin=None sends no Origin header at all."""
    headers = [(b"origin", origin)] if origin is not None else []
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(
        application, path, headers=headers, subprotocols=subprotocols
    )


@contextlib.asynccontextmanager
async def open_websocket(path, origin=ORIGIN, cookie=None, subprotocols=None):
    """A connected client for `path`, disconnected when the block ends."""
    client = communicator(path, origin, cookie, subprotocols)
    connected, _ = await client.connect()
    assert connected, f"the handshake for {path} was refused"
    try:
        yield client
    finally:
        await client.disconnect()


def session_cookie(session_key):
    return f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()


async def anonymous_browser():
    """The cookie of a new anonymous session, as the /tasks/ page gives one."""
    session = SessionStore()
    await sync_to_async(session.create)()
    return session_cookie(session.session_key)


class Browser:
    """A logged-in browser: Django's test client, and its cookie for websockets."""

    def __init__(self, user):
        self.client = Client()
        self.client.force_login(user)
        key = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.cookie = session_cookie(key)

    def post(self, url, **kwargs):
        return self.client.post(url, **kwargs)


async def logged_in_browser(user):
    return await sync_to_async(Browser)(user)


@contextlib.contextmanager
def served_at(url_path, consumer_class):
    """`consumer_class` routed at `url_path` by the project's own stack, for a while.

    For tests of what every socket gets, with consumers of their own rather
    than the sample apps', which you may delete.
    """
    route = path(url_path.lstrip("/"), consumer_class.as_asgi())
    websocket_urlpatterns.append(route)
    try:
        yield url_path
    finally:
        websocket_urlpatterns.remove(route)
