"""Channel layer and cache: Redis pub/sub, shared by every server process.

One PUBLISH per send or group_send, whatever the group size: faster than the
queue-based layer, but at most once, with no capacity, no expiry, and beta:
docs/decisions.md#redis-pubsub.
https://github.com/django/channels_redis#usage
"""

from config.env import env_number, env_str

REDIS_URL = env_str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# The cache's connections per process; a caller waits up to
# REDIS_POOL_TIMEOUT_SECONDS for a free one. The layer publishes through one
# connection at a time and reads through another.
REDIS_MAX_CONNECTIONS = env_number("REDIS_MAX_CONNECTIONS", 50)
REDIS_POOL_TIMEOUT_SECONDS = env_number("REDIS_POOL_TIMEOUT_SECONDS", 5)

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL]},
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

# The tasks sample's sockets read their jobs' rows this often, besides the
# updates the worker sends through the layer: for an update lost in an outage.
TASK_POLL_SECONDS = env_number("TASK_POLL_SECONDS", 5, kind=float)
