"""Channel layer and cache: Redis, shared by every server and worker process.

REDIS_URL names the server, or REDIS_SENTINELS the sentinels that name it
(config/redis_servers.py). While Redis is down, sockets that use the layer
are refused or closed with 4011 and one ERROR line each; once it is back, they
work again. Why these options: docs/decisions.md#redis.
https://channels.readthedocs.io/en/stable/topics/channel_layers.html
"""

from config.env import env_number
from config.redis_servers import (
    CACHES,
    REDIS_HOST,
    REDIS_MAX_CONNECTIONS,
    REDIS_POOL_TIMEOUT_SECONDS,
)

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "realtime_kit.redis_layer.RedisChannelLayer",
        "CONFIG": {
            # A receive blocks in BZPOPMIN for up to 5 s; redis-py 8 gives up
            # reading after 5 s unless told to wait longer.
            "hosts": [{**REDIS_HOST, "socket_timeout": 15}],
            # Messages that may wait in one channel; group_send drops (one INFO
            # line) what a full channel cannot take. channels-redis's default
            # is 100.
            "capacity": env_number("CHANNEL_LAYER_CAPACITY", 500),
            "expiry": 60,
            # Seconds a group member stays without its group_discard (a killed
            # process): channels-redis's default, a day. Chat re-adds its live
            # members every CHAT_PRESENCE_HEARTBEAT_SECONDS; other groups are
            # not refreshed.
            "group_expiry": env_number("CHANNEL_LAYER_GROUP_EXPIRY", 86400),
            "max_connections": REDIS_MAX_CONNECTIONS,
            "pool_timeout": REDIS_POOL_TIMEOUT_SECONDS,
        },
    },
}

# The tasks sample's sockets read their jobs' rows this often, besides the
# updates the worker sends through the layer: for an update lost in an outage.
TASK_POLL_SECONDS = env_number("TASK_POLL_SECONDS", 5, kind=float)

__all__ = ["CACHES", "CHANNEL_LAYERS", "REDIS_HOST", "TASK_POLL_SECONDS"]
