"""Channel layer and cache: Redis, shared by every server and worker process.

REDIS_URL names the server (default redis://127.0.0.1:6379/0). There is no
fallback: while Redis is down, chat sockets are refused or closed with 4011 and
one ERROR line each (realtime/consumers/channel_layer_faults.py); echo, which
uses no layer, keeps working; once Redis is back, chat works again.
https://channels.readthedocs.io/en/stable/topics/channel_layers.html
"""

from config.env import env_number, env_str

REDIS_URL = env_str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
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
        },
    },
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    },
}
