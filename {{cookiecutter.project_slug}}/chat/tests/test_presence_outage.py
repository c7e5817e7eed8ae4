"""Chat presence with its Redis down: one line per failure, and chat goes on."""

import json
import logging
import socket

import pytest
from django.test import override_settings

from tests.clients import open_websocket

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_with_its_redis_down_presence_logs_a_line_and_chat_goes_on(caplog):
    caplog.set_level(logging.INFO)
    down = {"address": f"redis://127.0.0.1:{closed_port()}/0"}
    with override_settings(REDIS_HOST=down):
        async with open_websocket("/ws/chat/unlisted/") as client:
            await client.send_to(text_data=json.dumps({"message": "still here"}))
            frame = json.loads(await client.receive_from(timeout=5))
            assert frame["message"] == "still here"
    lines = [r for r in caplog.records if r.name == "chat.presence"]
    # The join and the leave: one line each, no traceback.
    assert len(lines) == 2, [r.getMessage() for r in lines]
    assert all("chat goes on" in r.getMessage() and not r.exc_info for r in lines)
