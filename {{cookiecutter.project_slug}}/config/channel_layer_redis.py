"""Channel layer and cache: Redis, shared by every server and worker process.

REDIS_URL names the server (default redis://127.0.0.1:6379/0). There is no
fallback: while Redis is down, chat sockets are refused or closed with 4011 and
one ERROR line each (realtime/layer_outages.py); echo, which uses no layer,
keeps working; once Redis is back, chat works again. The layer is
channels-redis's RedisChannelLayer with bounded, blocking connection pools and
group memberships that expire when their socket is gone
(realtime/redis_layer.py).
https://channels.readthedocs.io/en/stable/topics/channel_layers.html
"""

from config.env import env_number, env_str

REDIS_URL = env_str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Connections per pool per process: the layer has one pool, the cache another.
# redis-py's own pool raises "Too many connections" at once when it is empty,
# which refused a third of a 150-handshake burst; these pools make a caller
# wait instead. 50 busy connections keep one process's Redis round trips
# flowing (a burst of 500 handshakes waits about 2 s in all); Redis accepts
# 10,000 clients by default, room for 100 processes.
REDIS_MAX_CONNECTIONS = env_number("REDIS_MAX_CONNECTIONS", 50)
# Seconds a caller waits for a free connection before it fails (as an outage:
# one log line, the socket refused or closed with 4011). Longer than a burst
# takes to drain, shorter than a browser's patience.
REDIS_POOL_TIMEOUT_SECONDS = env_number("REDIS_POOL_TIMEOUT_SECONDS", 5)
# Seconds a group member outlives its last refresh. Live members are
# refreshed every third of it, so only a member whose socket is gone (its
# process killed, or its group_discard failed) expires: within 4/3 of it.
# channels-redis's default is a day.
CHANNEL_LAYER_GROUP_EXPIRY = env_number("CHANNEL_LAYER_GROUP_EXPIRY", 300)

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "realtime.redis_layer.RedisChannelLayer",
        "CONFIG": {
            # Each consumer's receive loop blocks in BZPOPMIN for up to 5 s;
            # redis-py 8 gives up reading after 5 s by default, which killed
            # sockets idle that long (code 1011). Wait longer than the block.
            "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
            # Messages that may wait in one channel (one connection) before
            # its consumer takes them. When a channel is full, group_send does
            # not raise and does not wait: the new message is silently dropped
            # for that member only, and channels_redis logs one INFO line per
            # group_send, "N of M channels over capacity in group G" (send, to a
            # single channel, raises ChannelFull instead). The library default
            # is 100; 500 holds 25 s of one writer at the client rate limit
            # (20 messages/s), 2.5 s of ten: a reader further behind is
            # stuck or gone. Raise it for rooms with many writers; Redis
            # holds at most capacity x message size per channel.
            "capacity": env_number("CHANNEL_LAYER_CAPACITY", 500),
            # Seconds an undelivered message lives in a channel.
            "expiry": 60,
            "group_expiry": CHANNEL_LAYER_GROUP_EXPIRY,
            "max_connections": REDIS_MAX_CONNECTIONS,
            "pool_timeout": REDIS_POOL_TIMEOUT_SECONDS,
        },
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {
            "pool_class": "redis.BlockingConnectionPool",
            "max_connections": REDIS_MAX_CONNECTIONS,
            "timeout": REDIS_POOL_TIMEOUT_SECONDS,
        },
    },
}
