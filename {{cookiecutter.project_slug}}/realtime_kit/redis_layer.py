"""channels-redis's RedisChannelLayer: a pool that waits when full, a receive that ends.

redis-py's default pool raises "Too many connections" at once when empty; this one
waits up to `pool_timeout` s. On Python 3.11 a cancelled receive() could block
on Redis forever (docs/decisions.md#redis; upstream: redis-py, gh-86296).
https://redis.readthedocs.io/en/stable/connections.html#connectionpool-async
"""

import asyncio

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

    async def receive(self, channel):
        """channels-redis's receive, cancelled again until it has really ended.

        Python 3.11's asyncio.wait_for, which redis-py 8 wraps around every
        command, can swallow a cancellation; the receive then sends BZPOPMIN
        again and again, and the consumer never ends.
        """
        inner = asyncio.ensure_future(super().receive(channel))
        try:
            return await asyncio.shield(inner)
        except asyncio.CancelledError:
            while not inner.done():
                inner.cancel()
                try:
                    await asyncio.wait({inner}, timeout=0.1)
                except asyncio.CancelledError:
                    pass  # cancelled again: CancelledError is raised below anyway
            if not inner.cancelled():
                inner.exception()  # retrieved: a late message is dropped, as Channels does
            raise
