"""The queue-based Redis layer (realtime_kit/redis_layer.py): channels-redis's
RedisChannelLayer on a pool that waits when full, through its public create_pool.

test_redis_pressure.py drives it with bursts on real servers; test_redis_outage.py
stops its Redis under a running server.
"""

import asyncio
import os

import pytest
from channels_redis.core import RedisChannelLayer as ChannelsRedisLayer
from redis.asyncio import BlockingConnectionPool

from config import channel_layer
from realtime_kit.redis_layer import RedisChannelLayer


@pytest.fixture
def redis_url():
    return os.environ["REDIS_URL"]  # set by tests/settings.py


def test_the_project_settings_choose_it():
    backend = channel_layer.CHANNEL_LAYERS["default"]["BACKEND"]
    assert backend == "realtime_kit.redis_layer.RedisChannelLayer"


def test_layer_connections_outwait_the_blocking_receive():
    """A socket timeout shorter than BZPOPMIN's block kills idle sockets (1011)."""
    (host,) = channel_layer.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    assert host["socket_timeout"] > ChannelsRedisLayer.brpop_timeout


def test_an_address_gets_a_blocking_pool_with_the_hosts_options(redis_url):
    layer = RedisChannelLayer(
        hosts=[{"address": redis_url, "socket_timeout": 15}],
        max_connections=7,
        pool_timeout=2,
    )
    pool = layer.create_pool(0)
    assert isinstance(pool, BlockingConnectionPool)
    assert pool.max_connections == 7
    assert pool.timeout == 2
    assert pool.connection_kwargs["socket_timeout"] == 15
    # The layer's own host entry is left as it was.
    assert layer.hosts[0] == {"address": redis_url, "socket_timeout": 15}


def test_sentinel_hosts_keep_channels_redis_pool():
    sentinel = {"sentinels": [("127.0.0.1", 1)], "master_name": "kit"}
    layer = RedisChannelLayer(hosts=[sentinel])
    assert not isinstance(layer.create_pool(0), BlockingConnectionPool)


async def test_a_full_pool_makes_callers_wait_not_fail(redis_url):
    """Twenty sends at once through two connections: all arrive."""
    layer = RedisChannelLayer(
        hosts=[{"address": redis_url, "socket_timeout": 15}],
        max_connections=2,
        pool_timeout=5,
    )
    try:
        channel = await layer.new_channel()
        await asyncio.gather(
            *(layer.send(channel, {"type": "n", "n": n}) for n in range(20))
        )
        received = [(await layer.receive(channel))["n"] for _ in range(20)]
        assert sorted(received) == list(range(20))
    finally:
        await layer.flush()
        await layer.close_pools()
