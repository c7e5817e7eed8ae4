"""The Redis channel layer's configuration.

Every consumer test of this project runs on this layer and a real Redis
(tests/settings.py); chat/tests/test_outage_redis.py stops that Redis under a
running server.
"""

import asyncio
import os

import pytest
import redis
from channels_redis.core import RedisChannelLayer

from config import channel_layer
from realtime import redis_layer as realtime_redis_layer


def test_the_project_settings_choose_redis():
    backend = channel_layer.CHANNEL_LAYERS["default"]["BACKEND"]
    assert backend == "realtime.redis_layer.RedisChannelLayer"


def test_layer_connections_outwait_the_blocking_receive():
    """A socket timeout shorter than BZPOPMIN's block kills idle sockets (1011)."""
    (host,) = channel_layer.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout


@pytest.mark.slow
async def test_a_member_whose_consumer_is_gone_leaves_and_a_live_one_stays():
    """A channel that stopped receiving without group_discard (its consumer
    failed) is removed; one still receiving is kept past group_expiry."""
    layer = realtime_redis_layer.RedisChannelLayer(
        hosts=[os.environ["REDIS_URL"]], group_expiry=3
    )
    live, gone = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("healing", live)
    await layer.group_add("healing", gone)
    receiving = asyncio.create_task(layer.receive(live))
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        await asyncio.sleep(2.5)  # refreshes at 1 s and 2 s
        assert client.zrange("asgi:group:healing", 0, -1) == [live.encode()]
        await asyncio.sleep(2)  # past group_expiry: still a member
        assert client.zrange("asgi:group:healing", 0, -1) == [live.encode()]
        await layer.group_send("healing", {"type": "hello"})
        assert (await asyncio.wait_for(receiving, 5))["type"] == "hello"
    finally:
        receiving.cancel()
        client.close()
        await layer.flush()
