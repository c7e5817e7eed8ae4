"""The interception middleware: observe, change and drop messages both ways."""

import pytest
from autobahn.exception import Disconnected
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator

from realtime_kit.interception import WebsocketInterceptionMiddleware

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


class ShoutingEcho(AsyncWebsocketConsumer):
    channel_layer_alias = None

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data.upper())


class Recorder(WebsocketInterceptionMiddleware):
    """Records every message both ways, drops "skip" frames, tags replies."""

    def __init__(self, inner):
        super().__init__(inner)
        self.seen = []

    async def on_receive(self, connection, message):
        self.seen.append(("in", message["type"]))
        if message.get("text") == "skip":
            return None
        return message

    async def on_send(self, connection, message):
        self.seen.append(("out", message["type"]))
        if message["type"] == "websocket.send":
            return {**message, "text": message["text"] + "!"}
        return message


async def test_every_message_is_seen_changed_or_dropped():
    middleware = Recorder(ShoutingEcho.as_asgi())
    client = WebsocketCommunicator(middleware, "/ws/")
    connected, _ = await client.connect()
    assert connected
    await client.send_to(text_data="skip")
    await client.send_to(text_data="hi")
    assert await client.receive_from() == "HI!"
    assert await client.receive_nothing(timeout=0.05)
    await client.disconnect()
    assert middleware.seen == [
        ("in", "websocket.connect"),
        ("out", "websocket.accept"),
        ("in", "websocket.receive"),
        ("in", "websocket.receive"),
        ("out", "websocket.send"),
        ("in", "websocket.disconnect"),
    ]


class ClosesOnBye(WebsocketInterceptionMiddleware):
    async def on_receive(self, connection, message):
        if message.get("text") == "bye":
            return await connection.close(4000)
        return message


async def test_a_hook_can_close_and_the_application_sees_a_disconnect():
    client = WebsocketCommunicator(ClosesOnBye(ShoutingEcho.as_asgi()), "/ws/")
    await client.connect()
    await client.send_to(text_data="bye")
    assert await client.receive_output() == {"type": "websocket.close", "code": 4000}
    await client.wait()  # the consumer got the disconnect and returned


class OnlyReceive(WebsocketInterceptionMiddleware):
    async def on_receive(self, connection, message):
        return message


async def test_a_middleware_without_hooks_leaves_receive_and_send_untouched():
    got = {}

    async def application(scope, receive, send):
        got["receive"], got["send"] = receive, send

    async def receive():
        raise AssertionError("not called")

    async def send(message):
        raise AssertionError("not called")

    await WebsocketInterceptionMiddleware(application)(
        {"type": "websocket"}, receive, send
    )
    assert got == {"receive": receive, "send": send}


class SendsAfterTheEnd(AsyncWebsocketConsumer):
    """Sends after a close, as a consumer may while a group message arrives."""

    channel_layer_alias = None

    async def receive(self, text_data=None, bytes_data=None):
        await self.close(4000)
        await self.send(text_data="too late")

    async def disconnect(self, code):
        await self.send(text_data="after the client left")


class ServerThatRefusesSendsAfterClose:
    """What daphne does: a send after the close raises."""

    def __init__(self):
        self.sent = []
        self.closed = False

    async def send(self, message):
        if self.closed:
            raise RuntimeError("Attempt to send on a closed protocol")
        self.closed = message["type"] == "websocket.close"
        self.sent.append(message)


@pytest.mark.parametrize("ended_by", ["server", "client"])
async def test_sends_after_the_socket_ended_are_dropped_quietly(ended_by):
    server = ServerThatRefusesSendsAfterClose()
    inbox = [{"type": "websocket.connect"}]
    if ended_by == "server":
        inbox.append({"type": "websocket.receive", "text": "close please"})
    inbox.append({"type": "websocket.disconnect", "code": 1000})

    async def receive():
        return inbox.pop(0)

    await OnlyReceive(SendsAfterTheEnd.as_asgi())(
        {"type": "websocket", "path": "/"}, receive, server.send
    )
    assert [message["type"] for message in server.sent][-1] in (
        "websocket.close",
        "websocket.accept",
    )
    assert all(message.get("text") is None for message in server.sent)


async def test_other_scopes_pass_straight_through():
    got = {}

    async def application(scope, receive, send):
        got["receive"], got["send"] = receive, send

    async def receive():
        return {}

    async def send(message):
        pass

    await Recorder(application)({"type": "http"}, receive, send)
    assert got == {"receive": receive, "send": send}


class ServerWhoseClientLeft:
    """A server whose client is gone before the application hears: uvicorn's send
    raises ClientDisconnected, an OSError; daphne's, in the close handshake,
    autobahn's Disconnected."""

    def __init__(self, error):
        self.accepted = False
        self.error = error

    async def send(self, message):
        if message["type"] == "websocket.accept":
            self.accepted = True
            return
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionResetError("the client left"),
        Disconnected("Attempt to send on a closed protocol"),
    ],
    ids=["uvicorn", "daphne"],
)
async def test_a_send_to_a_client_that_left_is_dropped_quietly(error):
    server = ServerWhoseClientLeft(error)
    inbox = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "hello"},
        {"type": "websocket.disconnect", "code": 1006},
    ]

    class Echo(AsyncWebsocketConsumer):
        channel_layer_alias = None

        async def receive(self, text_data=None, bytes_data=None):
            await self.send(text_data=text_data)
            await self.send(text_data="and again")

    async def receive():
        return inbox.pop(0)

    await OnlyReceive(Echo.as_asgi())(
        {"type": "websocket", "path": "/"}, receive, server.send
    )
    assert server.accepted
    assert inbox == []  # the consumer went on and heard the disconnect
