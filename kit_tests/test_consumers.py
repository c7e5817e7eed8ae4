"""The kit's consumer bases: Channels' consumers, less the per-message hop to the
sync thread while no database connection is open (realtime_kit/consumers.py)."""

import contextlib

import channels.consumer
import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import connections

from config.asgi import application
from realtime_kit.consumers import (
    AsyncJsonWebsocketConsumer,
    AsyncWebsocketConsumer,
    holds_open_connection,
)
from tests.clients import ORIGIN, logged_in_browser, served_at

pytestmark = pytest.mark.usefixtures("no_connection_open")


class Echo(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)


class CountsUsers(AsyncJsonWebsocketConsumer):
    """Answers each message with the number of users, through the async ORM."""

    async def receive_json(self, content):
        if content.get("query"):
            await self.send_json({"users": await get_user_model().objects.acount()})
        else:
            await self.send_json({"open": holds_open_connection()})


class ClosingCommunicator(WebsocketCommunicator):
    """Channels' WebsocketCommunicator, without its patch that turns
    channels.db.close_old_connections into a no-op while a test waits on it:
    here connections close as they do under a real server."""

    async def send_input(self, message):
        return await ApplicationCommunicator.send_input(self, message)

    async def receive_output(self, timeout=1):  # noqa: ASYNC109 (its signature)
        return await ApplicationCommunicator.receive_output(self, timeout)


@contextlib.asynccontextmanager
async def open_websocket(path, cookie=None):
    headers = [(b"origin", ORIGIN)]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    client = ClosingCommunicator(application, path, headers=headers)
    connected, _ = await client.connect()
    assert connected
    try:
        yield client
    finally:
        await client.disconnect()


@pytest.fixture
def hops(monkeypatch):
    """Every hop Channels' dispatch makes to close old connections, counted."""
    made = []
    original = channels.consumer.aclose_old_connections

    async def counted():
        made.append(holds_open_connection())
        await original()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    return made


@pytest.fixture
def no_connection_open(transactional_db):
    """This test's setup opened a connection in the main thread: closed here,
    outside the event loop, where Django lets it close."""
    connections.close_all()


async def close_every_connection():
    """Close what the test opened on the sync thread; none may be left open."""
    await sync_to_async(connections.close_all)()
    assert not holds_open_connection()


async def test_no_hop_while_no_connection_is_open(hops):
    await close_every_connection()
    with served_at("/ws/kit/echo/", Echo) as path:
        async with open_websocket(path) as client:
            for number in range(5):
                await client.send_to(text_data=str(number))
                assert await client.receive_from() == str(number)
    assert hops == []


async def test_no_hop_after_a_logged_in_handshake(hops):
    """AuthMiddlewareStack reads the session and the user on the sync thread and
    closes its connection there: the socket's messages then pay no hop."""
    user = await get_user_model().objects.acreate(username="kit-hops")
    browser = await logged_in_browser(user)
    await close_every_connection()
    with served_at("/ws/kit/echo/", Echo) as path:
        async with open_websocket(path, cookie=browser.cookie) as client:
            assert not holds_open_connection()
            for number in range(5):
                await client.send_to(text_data=str(number))
                assert await client.receive_from() == str(number)
    assert hops == []


async def test_an_async_orm_connection_is_closed_by_the_next_messages_hop(hops):
    assert connections["default"].settings_dict["CONN_MAX_AGE"] == 0
    await close_every_connection()
    with served_at("/ws/kit/users/", CountsUsers) as path:
        async with open_websocket(path) as client:
            await client.send_json_to({"query": True})
            assert await client.receive_json_from() == {"users": 0}
            assert hops == []  # nothing was open before it
            assert holds_open_connection()  # the async ORM left it open
            await client.send_json_to({})
            # The hop ran with a connection open, and closed it.
            assert await client.receive_json_from() == {"open": False}
            assert hops == [True]
            await client.send_json_to({})
            assert await client.receive_json_from() == {"open": False}
            assert hops == [True]  # and the next message paid nothing


async def test_a_message_without_a_handler_is_still_an_error():
    await close_every_connection()
    consumer = Echo()
    with pytest.raises(ValueError, match=r"No handler for message type kit\.nothing"):
        await consumer.dispatch({"type": "kit.nothing"})
