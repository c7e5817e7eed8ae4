"""A cancelled receive() of the kit's RedisChannelLayer always ends (Python 3.11).

Channels cancels a consumer's layer receive when its socket ends and then awaits
it; with channels-redis's own layer on 3.11 that await could last forever
(docs/decisions.md#redis of the project).
"""

import asyncio
import random
import sys
import time

import pytest
from channels.utils import await_many_dispatch

redis_layer = pytest.importorskip("realtime_kit.redis_layer")
core = pytest.importorskip("channels_redis.core")

TRIES = 150
BUDGET_SECONDS = 60


async def consumers_left_running(layer, chance, consumers=5):
    """Consumers on Channels' own loop, cancelled at a random loop turn while
    messages flow; how many still run 2 s after the cancel."""
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
        while not stop:
            await layer.send(chance.choice(channels), {"type": "t"})
            for _ in range(chance.randrange(3)):
                await asyncio.sleep(0)

    sender = asyncio.ensure_future(traffic())
    await asyncio.sleep(0.01)
    for _ in range(chance.randrange(40)):
        await asyncio.sleep(0)
    stop = True
    for task in tasks:
        task.cancel()
    await sender
    _, pending = await asyncio.wait(tasks, timeout=2)
    return len(pending)


def tries_until_stranded(layer_class, redis_url):
    """The try at which consumers were left running, or None in TRIES tries."""

    async def run():
        chance, started = random.Random(0), time.monotonic()
        for number in range(1, TRIES + 1):
            layer = layer_class(hosts=[{"address": redis_url, "socket_timeout": 15}])
            try:
                if await consumers_left_running(layer, chance):
                    return number
            finally:
                await layer.close_pools()  # also ends a stranded BZPOPMIN
            if time.monotonic() - started > BUDGET_SECONDS:
                return None
        return None

    return asyncio.run(run())


def test_a_cancelled_receive_always_ends(redis_url):
    stranded = tries_until_stranded(redis_layer.RedisChannelLayer, redis_url)
    assert stranded is None, f"consumers never ended, at try {stranded}"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 fixed wait_for")
def test_channels_redis_own_layer_strands_consumers_on_311(redis_url):
    """The defect the kit works around, shown on the same load: if this fails,
    redis-py or channels-redis fixed it and the kit's receive can go."""
    assert tries_until_stranded(core.RedisChannelLayer, redis_url) is not None
