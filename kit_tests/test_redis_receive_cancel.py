"""A cancelled receive() of the kit's RedisChannelLayer always ends (Python 3.11).

Channels cancels a consumer's layer receive when its socket ends and then awaits
it; with channels-redis's own layer on 3.11 that await could last forever.
"""

import asyncio
import sys

import pytest
from channels.utils import await_many_dispatch

redis_layer = pytest.importorskip("realtime_kit.redis_layer")
core = pytest.importorskip("channels_redis.core")


async def consumers_left_running(layer_class, redis_url, offset, consumers=5):
    """Consumers on Channels' own loop, cancelled `offset` loop turns into traffic;
    how many still run 2 s after the cancel."""
    layer = layer_class(hosts=[{"address": redis_url, "socket_timeout": 15}])
    try:
        channels = [await layer.new_channel() for _ in range(consumers)]

        async def dispatch(message):
            pass

        tasks = [
            asyncio.ensure_future(
                await_many_dispatch([lambda c=c: layer.receive(c)], dispatch)
            )
            for c in channels
        ]
        stop = False

        async def traffic():
            sent = 0
            while not stop:
                sent += 1
                await layer.send(channels[sent % consumers], {"type": "t"})
                for _ in range(sent % 3):
                    await asyncio.sleep(0)

        sender = asyncio.ensure_future(traffic())
        await asyncio.sleep(0.01)
        for _ in range(offset):
            await asyncio.sleep(0)
        stop = True
        for task in tasks:
            task.cancel()
        await sender
        _, pending = await asyncio.wait(tasks, timeout=2)
        return len(pending)
    finally:
        await layer.close_pools()  # also ends a stranded BZPOPMIN


def test_a_cancelled_receive_always_ends(redis_url):
    async def tries():
        for offset in range(40):
            left = await consumers_left_running(
                redis_layer.RedisChannelLayer, redis_url, offset % 8
            )
            assert left == 0, f"{left} consumers never ended (try {offset})"

    asyncio.run(tries())


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 fixed wait_for")
def test_channels_redis_own_layer_strands_consumers_on_311(redis_url):
    """The defect the kit works around is real here: if this starts failing,
    redis-py or channels-redis fixed it and the kit's receive can go."""

    async def tries():
        for offset in range(200):
            stock = core.RedisChannelLayer
            if await consumers_left_running(stock, redis_url, offset % 8):
                return True
        return False

    assert asyncio.run(tries())
