"""Chat survives a failing channel layer: one ERROR line and a close, no traceback."""

import json
import logging

import pytest
from channels.layers import get_channel_layer

from realtime.memory_layer import MemoryChannelLayer
from tests.clients import communicator, open_websocket

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


class FailingChannelLayer(MemoryChannelLayer):
    """The in-memory layer, whose every operation fails while `down` is set."""

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


async def test_a_chat_socket_is_refused_while_the_layer_is_down(failing_layer, caplog):
    failing_layer.down = True
    client = communicator("/ws/chat/down/")
    connected, _ = await client.connect()
    assert not connected
    [record] = errors(caplog)
    assert "the layer is down" in record.getMessage()
    assert "/ws/chat/down/" in record.getMessage()
    assert record.exc_info is None
    # Echo uses no layer: it keeps working.
    async with open_websocket("/ws/echo/") as echo:
        await echo.send_to(text_data="still here")
        assert await echo.receive_from() == "still here"


async def test_a_chat_socket_is_refused_when_its_channel_cannot_be_created(
    failing_layer, caplog
):
    failing_layer.down = failing_layer.new_channel_fails = True
    client = communicator("/ws/chat/down/")
    connected, _ = await client.connect()
    assert not connected
    [record] = errors(caplog)
    assert "new_channel" in record.getMessage()
    assert "/ws/chat/down/" in record.getMessage()
    assert record.exc_info is None
    failing_layer.down = False
    async with open_websocket("/ws/chat/down/") as client:
        await client.send_to(text_data=json.dumps({"message": "back"}))
        assert (await client.receive_json_from())["message"] == "back"


async def test_an_open_chat_socket_is_closed_with_4011_and_one_error(
    failing_layer, caplog
):
    async with open_websocket("/ws/chat/flaky/") as client:
        failing_layer.down = True
        await client.send_to(text_data=json.dumps({"message": "lost"}))
        assert await client.receive_output() == {
            "type": "websocket.close",
            "code": 4011,
        }
    [record] = errors(caplog)
    assert record.exc_info is None
    # Back up: chat works again, in the same process.
    failing_layer.down = False
    async with open_websocket("/ws/chat/flaky/") as client:
        await client.send_to(text_data=json.dumps({"message": "back"}))
        assert (await client.receive_json_from())["message"] == "back"
