"""The Redis pub/sub channel layer, on a real Redis server.

The pub/sub bake uses channels-redis's layer as it is; these tests state what
it does and does not promise. Two layer instances stand for two server
processes, on the tests' Redis; test_redis_pubsub_outage.py stops a Redis
under a running server.
"""

import asyncio
import os

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer

from config import channel_layer

BACKEND = "channels_redis.pubsub.RedisPubSubChannelLayer"

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_url():
    return os.environ["REDIS_URL"]  # set by tests/settings.py


@pytest.fixture
async def two_processes(redis_url):
    """Two layers on one Redis, as two server processes would have."""
    layers = [RedisPubSubChannelLayer(hosts=[redis_url]) for _ in range(2)]
    yield layers
    for layer in layers:
        await layer.flush()


async def receive(layer, channel, seconds=5):
    return await asyncio.wait_for(layer.receive(channel), seconds)


async def nothing_arrives(layer, channel, seconds=0.3):
    try:
        await receive(layer, channel, seconds)
    except TimeoutError:
        return True
    return False


def test_the_project_settings_choose_redis_pubsub():
    assert channel_layer.CHANNEL_LAYERS["default"]["BACKEND"] == BACKEND


async def test_a_group_message_reaches_members_in_both_processes(two_processes):
    first, second = two_processes
    on_first = await first.new_channel()
    on_second = await second.new_channel()
    elsewhere = await second.new_channel()
    await first.group_add("room", on_first)
    await second.group_add("room", on_second)
    await second.group_add("other-room", elsewhere)

    await first.group_send("room", {"type": "chat.message", "text": "hi"})
    for layer, channel in [(first, on_first), (second, on_second)]:
        assert (await receive(layer, channel))["text"] == "hi"
    assert await nothing_arrives(second, elsewhere)

    await second.group_discard("room", on_second)
    await first.group_send("room", {"type": "chat.message", "text": "again"})
    assert (await receive(first, on_first))["text"] == "again"
    assert await nothing_arrives(second, on_second)


async def test_a_message_to_a_consumers_own_channel_crosses_processes(two_processes):
    first, second = two_processes
    channel = await second.new_channel()
    await first.send(channel, {"type": "direct", "n": 1})
    assert await receive(second, channel) == {"type": "direct", "n": 1}


async def test_a_named_channel_hands_every_message_to_every_listener(two_processes):
    """Why work is not handed out on this layer: two listeners would both run it."""
    listeners = [
        asyncio.ensure_future(layer.receive("tasks")) for layer in two_processes
    ]
    await asyncio.sleep(0.2)  # both SUBSCRIBEs reach Redis
    await two_processes[0].send("tasks", {"type": "task.run", "task_id": "x"})
    received = await asyncio.wait_for(asyncio.gather(*listeners), 5)
    assert received == [{"type": "task.run", "task_id": "x"}] * 2


async def test_a_message_nobody_listens_to_yet_is_lost(two_processes):
    """At most once: Redis keeps nothing for a later listener."""
    first, second = two_processes
    await first.send("later", {"type": "lost"})
    assert await nothing_arrives(second, "later")


async def test_no_capacity_is_enforced_even_when_configured(redis_url):
    """No backpressure: messages pile up in memory; send never raises ChannelFull."""
    layer = RedisPubSubChannelLayer(hosts=[redis_url], capacity=1)
    try:
        channel = await layer.new_channel()
        for number in range(200):
            await layer.send(channel, {"type": "pile", "n": number})
        received = [(await receive(layer, channel))["n"] for _ in range(200)]
        assert received == list(range(200))
    finally:
        await layer.flush()
