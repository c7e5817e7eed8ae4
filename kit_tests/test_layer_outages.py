"""A failing channel layer ends sockets with 4011 and one ERROR line, no traceback."""

import json
import logging

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.testing import WebsocketCommunicator

from realtime_kit.layer_outages import LayerOutageMiddleware
from tests.clients import communicator, open_websocket

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


class FailingChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, whose every operation fails while `down` is set."""

    down = False
    # The pub/sub layer subscribes in new_channel, so it fails there too.
    new_channel_fails = False

    def check_up(self):
        if self.down:
            raise ConnectionError("the layer is down")

    async def new_channel(self, prefix="specific."):
        if self.new_channel_fails:
            self.check_up()
        return await super().new_channel(prefix)

    async def receive(self, channel):
        self.check_up()
        return await super().receive(channel)

    async def group_add(self, group, channel):
        self.check_up()
        await super().group_add(group, channel)

    async def group_discard(self, group, channel):
        self.check_up()
        await super().group_discard(group, channel)

    async def group_send(self, group, message):
        self.check_up()
        await super().group_send(group, message)


@pytest.fixture
def failing_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": f"{__name__}.FailingChannelLayer"},
    }
    return get_channel_layer()


def errors(caplog):
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def assert_one_error_line(caplog, *words):
    [record] = errors(caplog)
    for word in words:
        assert word in record.getMessage()
    assert record.exc_info is None


async def say(client, text):
    await client.send_to(text_data=json.dumps({"say": text}))


async def test_a_handshake_is_refused_while_the_layer_is_down(
    failing_layer, room_path, caplog
):
    failing_layer.down = True
    connected, _ = await communicator(room_path).connect()
    assert not connected
    assert_one_error_line(caplog, "the layer is down", room_path, "4011")


async def test_a_handshake_is_refused_when_its_channel_cannot_be_created(
    failing_layer, room_path, caplog
):
    failing_layer.down = failing_layer.new_channel_fails = True
    connected, _ = await communicator(room_path).connect()
    assert not connected
    assert_one_error_line(caplog, "the layer is down", room_path)
    failing_layer.down = False
    async with open_websocket(room_path) as client:
        await say(client, "back")
        assert await client.receive_json_from() == {"said": "back"}


async def test_an_open_socket_is_closed_with_4011_and_one_error(
    failing_layer, room_path, caplog
):
    async with open_websocket(room_path) as client:
        failing_layer.down = True
        await say(client, "lost")
        assert await client.receive_output() == {
            "type": "websocket.close",
            "code": 4011,
        }
    assert_one_error_line(caplog, "the layer is down", room_path)
    # Back up: it works again, in the same process.
    failing_layer.down = False
    async with open_websocket(room_path) as client:
        await say(client, "back")
        assert await client.receive_json_from() == {"said": "back"}


async def test_leaving_while_the_layer_is_down_logs_one_error(
    failing_layer, room_path, caplog
):
    client = communicator(room_path)
    assert (await client.connect())[0]
    failing_layer.down = True
    await client.disconnect()
    assert_one_error_line(caplog, "the layer is down", room_path)


class Broken(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        raise RuntimeError("a bug, not an outage")


async def test_other_errors_are_not_taken_for_an_outage():
    client = WebsocketCommunicator(LayerOutageMiddleware(Broken.as_asgi()), "/")
    assert (await client.connect())[0]
    await client.send_to(text_data="x")
    with pytest.raises(RuntimeError, match="a bug, not an outage"):
        await client.receive_output()
