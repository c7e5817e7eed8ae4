"""The tasks socket in a channel-layer outage: closed with 4011, one ERROR line."""

import logging

import pytest
from channels.layers import get_channel_layer

from tests.clients import anonymous_browser, open_websocket

pytestmark = pytest.mark.django_db(transaction=True)


class LayerDown(ConnectionError):
    pass


async def test_a_task_socket_is_closed_with_4011_and_one_error(monkeypatch, caplog):
    async def group_add(group, channel):
        raise LayerDown("the layer is down")

    async with open_websocket("/ws/tasks/", cookie=await anonymous_browser()) as client:
        monkeypatch.setattr(get_channel_layer(), "group_add", group_add)
        await client.send_json_to({"action": "start", "steps": 3})
        assert await client.receive_output() == {
            "type": "websocket.close",
            "code": 4011,
        }
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "the layer is down" in record.getMessage()
    assert "/ws/tasks/" in record.getMessage()
    assert record.exc_info is None
