"""channels-redis layers with blocking connection pools and group memberships that heal.

Both layers take `max_connections` and `pool_timeout` in their CONFIG: each
Redis host gets a redis-py BlockingConnectionPool of at most `max_connections`
per process, where a caller waits up to `pool_timeout` seconds for a free
connection (redis-py's default pool raises "Too many connections" at once).

RedisChannelLayer also remembers the group memberships of this process's live
channels. Every group_expiry / 3 seconds it re-adds them in one pipeline per
host (a live member never expires), removes from Redis the members whose
channel stopped receiving (its consumer ended without group_discard) and those
older than group_expiry (left by a process that died), and retries the
group_discards that failed. A member without a socket leaves its group within
4/3 x group_expiry.

RedisPubSubChannelLayer logs a failing reader once per outage, as one line,
and once when Redis answers again; a group_discard that fails is logged and
not raised (the process only keeps receiving that group's messages, and drops
them). Redis drops the subscriptions of a process that dies.

https://github.com/django/channels_redis
https://redis.readthedocs.io/en/stable/connections.html#connectionpool-async
"""

import asyncio
import collections
import logging
import time

from channels_redis import core, pubsub
from channels_redis.utils import create_pool, decode_hosts
from redis import asyncio as aioredis

from realtime.layer_outages import OUTAGE_ERRORS

logger = logging.getLogger(__name__)


def blocking_pool(host, max_connections, timeout):
    """A BlockingConnectionPool for one channels-redis host entry."""
    if "master_name" in host:  # Sentinel: channels-redis's own, unbounded pool
        return create_pool(host)
    host = dict(host)
    options = {"max_connections": max_connections, "timeout": timeout}
    if "address" in host:
        address = host.pop("address")
        return aioredis.BlockingConnectionPool.from_url(address, **host, **options)
    return aioredis.BlockingConnectionPool(**host, **options)


def describe(error):
    return f"{type(error).__name__}: {error}"


class LoopMemberships:
    """One event loop's view: its channels' groups, and what is pending."""

    def __init__(self):
        self.groups = collections.defaultdict(set)  # group -> channels
        self.discards = set()  # (group, channel) still to remove from Redis
        self.receiving = collections.Counter()  # channel -> receive() calls now
        self.last_seen = {}  # channel -> monotonic time it last received
        self.task = None
        self.failing = False


class RedisChannelLayer(core.RedisChannelLayer):
    def __init__(self, max_connections=50, pool_timeout=5, **kwargs):
        super().__init__(**kwargs)
        self.max_connections = max_connections
        self.pool_timeout = pool_timeout
        self.refresh_seconds = self.group_expiry / 3
        self._memberships = {}

    def create_pool(self, index):
        return blocking_pool(self.hosts[index], self.max_connections, self.pool_timeout)

    def _loop_memberships(self):
        loop = asyncio.get_running_loop()
        state = self._memberships.get(loop)
        if state is None:
            state = self._memberships[loop] = LoopMemberships()
        if state.task is None or state.task.done():
            state.task = loop.create_task(self._refresh_forever(state))
        return state

    async def receive(self, channel):
        state = self._loop_memberships()
        state.receiving[channel] += 1
        try:
            return await super().receive(channel)
        finally:
            state.receiving[channel] -= 1
            if state.receiving[channel] <= 0:
                del state.receiving[channel]
            state.last_seen[channel] = time.monotonic()

    async def group_add(self, group, channel):
        await super().group_add(group, channel)
        state = self._loop_memberships()
        state.groups[group].add(channel)
        state.discards.discard((group, channel))
        state.last_seen.setdefault(channel, time.monotonic())

    async def group_discard(self, group, channel):
        state = self._loop_memberships()
        members = state.groups.get(group)
        if members is not None:
            members.discard(channel)
            if not members:
                del state.groups[group]
        try:
            await super().group_discard(group, channel)
        except OUTAGE_ERRORS as error:
            # The socket is gone either way: retry with the next refresh.
            state.discards.add((group, channel))
            logger.warning(
                "group_discard of %s failed (%s); retried within %.0f s",
                group,
                describe(error),
                self.refresh_seconds,
            )

    async def _refresh_forever(self, state):
        while True:
            await asyncio.sleep(self.refresh_seconds)
            try:
                await self.refresh(state)
            except OUTAGE_ERRORS as error:
                if not state.failing:
                    state.failing = True
                    logger.warning(
                        "Refreshing group memberships failed (%s); retrying every"
                        " %.0f s",
                        describe(error),
                        self.refresh_seconds,
                    )
            else:
                if state.failing:
                    state.failing = False
                    logger.warning("Refreshing group memberships works again")

    async def refresh(self, state):
        """Re-add live members, remove dead and expired ones, retry discards."""
        now, idle_since = time.time(), time.monotonic() - self.refresh_seconds
        for group, channels in list(state.groups.items()):
            for channel in list(channels):
                if state.receiving[channel] or state.last_seen.get(channel, 0) > (
                    idle_since
                ):
                    continue
                channels.discard(channel)  # its consumer is gone
                state.discards.add((group, channel))
            if not channels:
                del state.groups[group]
        for channel, seen in list(state.last_seen.items()):
            if seen <= idle_since and not state.receiving[channel]:
                del state.last_seen[channel]
        discards = set(state.discards)
        pipelines = {}

        def pipeline_for(group):
            index = self.consistent_hash(group)
            if index not in pipelines:
                pipelines[index] = self.connection(index).pipeline(transaction=False)
            return pipelines[index]

        for group, channels in state.groups.items():
            key = self._group_key(group)
            pipe = pipeline_for(group)
            pipe.zadd(key, dict.fromkeys(channels, now))
            pipe.expire(key, self.group_expiry)
            pipe.zremrangebyscore(key, 0, now - self.group_expiry)
        for group, channel in discards:
            pipeline_for(group).zrem(self._group_key(group), channel)
        for pipe in pipelines.values():
            await pipe.execute()
        if discards:
            logger.info("Removed %d members left by failed discards", len(discards))
        state.discards -= discards

    async def close_pools(self):
        tasks = [state.task for state in self._memberships.values() if state.task]
        self._memberships = {}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await super().close_pools()


class ShardConnection(pubsub.RedisSingleShardConnection):
    """One host of the pub/sub layer: a blocking pool, one line per outage."""

    def _ensure_redis(self):
        if self._redis is None:
            layer = self.channel_layer.channel_layer
            pool = blocking_pool(self.host, layer.max_connections, layer.pool_timeout)
            self._redis = aioredis.Redis(connection_pool=pool)
            self._pubsub = self._redis.pubsub()

    async def _do_receiving(self):
        failing = False
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=0.1
                    )
                    if failing:
                        # A read can return nothing on a dead connection too.
                        await self._redis.ping()
                        failing = False
                        logger.warning("Pub/sub reader connected again to Redis")
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except OUTAGE_ERRORS as error:
                if not failing:
                    failing = True
                    logger.error(
                        "Pub/sub reader lost Redis (%s); retrying every second",
                        describe(error),
                    )
                await asyncio.sleep(1)
            except Exception:
                logger.exception("Unexpected exception in the pub/sub reader")
                await asyncio.sleep(1)

    async def unsubscribe(self, channel):
        # Called when a socket ends (its channel) or leaves its last group.
        try:
            await super().unsubscribe(channel)
        except OUTAGE_ERRORS as error:
            logger.warning(
                "Unsubscribing from %s failed (%s)", channel, describe(error)
            )


class PubSubLoopLayer(pubsub.RedisPubSubLoopLayer):
    def __init__(self, hosts=None, **kwargs):
        super().__init__(hosts=hosts, **kwargs)
        self._shards = [ShardConnection(host, self) for host in decode_hosts(hosts)]


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    def __init__(self, *args, max_connections=50, pool_timeout=5, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_connections = max_connections
        self.pool_timeout = pool_timeout

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = PubSubLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            pubsub._wrap_close(self, loop)
        return layer
