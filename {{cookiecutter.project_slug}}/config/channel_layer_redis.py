"""Channel layer and cache: Redis, shared by every server and worker process.

REDIS_URL names the server (default redis://127.0.0.1:6379/0). There is no
fallback: if Redis is down, consumers that use the layer fail loudly.
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
            # Messages waiting per channel. group_send drops messages to a
            # channel that is full, with only an INFO log line: size this for
            # the burst one slow client may fall behind by.
            "capacity": env_number("CHANNEL_LAYER_CAPACITY", 500),
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
