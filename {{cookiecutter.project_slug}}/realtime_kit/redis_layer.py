"""channels-redis's RedisChannelLayer on a connection pool that waits when full.

redis-py's default pool raises "Too many connections" at once when empty; a
burst of handshakes hit it. This one waits up to `pool_timeout` seconds.
https://redis.readthedocs.io/en/stable/connections.html#connectionpool-async
"""

from channels_redis import core
from redis import asyncio as aioredis


class RedisChannelLayer(core.RedisChannelLayer):
    def __init__(self, max_connections=50, pool_timeout=5, **kwargs):
        super().__init__(**kwargs)
        self.max_connections = max_connections
        self.pool_timeout = pool_timeout

    def create_pool(self, index):
        host = dict(self.hosts[index])
        if "address" not in host:  # Sentinel or keyword hosts: channels-redis's own
            return super().create_pool(index)
        return aioredis.BlockingConnectionPool.from_url(
            host.pop("address"),
            max_connections=self.max_connections,
            timeout=self.pool_timeout,
            **host,
        )
