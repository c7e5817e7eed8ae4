"""Channel layer and cache: Redis pub/sub, shared by every server process.

One PUBLISH per send or group_send, whatever the group size: faster than the
queue-based layer, but at most once, with no capacity, no expiry, and beta:
docs/decisions.md#redis-pubsub. Where Redis is (one server, or Sentinel):
config/redis_servers.py.
https://github.com/django/channels_redis#usage
"""

from config.env import env_number
from config.redis_servers import CACHES, REDIS_HOST

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_HOST]},
    },
}

# The tasks sample's sockets read their jobs' rows this often, besides the
# updates the worker sends through the layer: for an update lost in an outage.
TASK_POLL_SECONDS = env_number("TASK_POLL_SECONDS", 5, kind=float)

__all__ = ["CACHES", "CHANNEL_LAYERS", "REDIS_HOST", "TASK_POLL_SECONDS"]
