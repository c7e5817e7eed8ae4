"""Chat presence with its Redis down (one line per failure, and chat goes on), and
when the server stops (the last removals still reach Redis)."""

import asyncio
import json
import logging
import socket

import pytest
import redis
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import override_settings

from chat import presence
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


def test_a_server_shutting_down_still_removes_its_leaving_members():
    """The event loop's end cancels every task: removals under way, or waiting
    their turn, still reach Redis (SIGTERM on a busy server lost hundreds)."""
    room, channels = "chat.closing", [f"socket{n}" for n in range(50)]

    async def join_and_leave():
        layer = get_channel_layer()
        for channel in channels:
            await presence.join(layer, room, channel, "")
        for channel in channels:
            presence.leave(layer, room, channel)
        await asyncio.sleep(0)  # the removals start; then the loop ends

    with asyncio.Runner() as runner:
        runner.run(join_and_leave())
    client = redis.Redis.from_url(settings.REDIS_HOST["address"])
    try:
        assert client.zcard(f"presence.{room}") == 0
    finally:
        client.close()
