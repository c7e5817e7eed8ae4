"""Channel layer and cache: Redis pub/sub, shared by every server process.

RedisPubSubChannelLayer hands each message to Redis PUBLISH, once per send or
group_send whatever the group size, and each process reads the channels and
groups its own consumers are in from one SUBSCRIBE connection. It is faster
than the queue-based RedisChannelLayer, but it promises less:

- At most once. Redis keeps nothing: a message reaches only the processes
  subscribed when it is published. One published while a process's connection
  is down or reconnecting, or sent to a channel nobody listens to yet, is
  lost without an error, and nothing tells the consumer: the layer's
  on_disconnect/on_reconnect options are accepted but never called in
  channels-redis 4.3. group_add returns once SUBSCRIBE is sent, not when
  Redis confirms it.
- No capacity and no backpressure: send and group_send never raise
  ChannelFull. A process keeps the messages its consumers have not taken yet
  in unbounded in-memory queues; a process too busy to read them from Redis
  is cut off by Redis's pub/sub output buffer limit (by default 32 MB, or
  8 MB for a minute), and loses what was pending.
- No expiry: a message waits in those queues until its consumer takes it or
  closes. The layer ignores `capacity`, `expiry` and `group_expiry` silently.
- A message sent to a named channel (not a consumer's own) goes to every
  process listening on it, so `runworker` cannot share work: TASK_RUNNER=worker
  is refused (tasks/checks.py).
- channels-redis calls this layer beta: it may still change in ways that
  break this configuration.

Choose it for chat, presence and live updates, where a client that reconnects
reloads its state anyway; choose RedisChannelLayer when messages must wait for
a slow or briefly absent consumer, or for worker mode.

REDIS_URL names the server (default redis://127.0.0.1:6379/0). While Redis is
down, a new chat socket is refused and one that sends is closed with 4011, with
one ERROR line each (realtime/layer_outages.py); a socket that only listens
stays open and misses what is said meanwhile. Each process's reader logs one
ERROR line when it loses Redis and one WARNING line when it is back; then it
subscribes again by itself (realtime/redis_layer.py). Echo, which uses no
layer, keeps working throughout. A process that dies leaves no group member
behind: Redis drops its subscriptions with its connection.
https://github.com/django/channels_redis#usage
"""

from config.env import env_number, env_str

REDIS_URL = env_str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Connections per pool per process: the layer has one pool per host (it
# publishes through one connection at a time and reads through another), the
# cache another. redis-py's own pool raises "Too many connections" at once
# when it is empty; these pools make a caller wait instead. Redis accepts
# 10,000 clients by default, room for 100 processes.
REDIS_MAX_CONNECTIONS = env_number("REDIS_MAX_CONNECTIONS", 50)
# Seconds a caller waits for a free connection before it fails (as an outage:
# one log line, the socket refused or closed with 4011). Longer than a burst
# takes to drain, shorter than a browser's patience.
REDIS_POOL_TIMEOUT_SECONDS = env_number("REDIS_POOL_TIMEOUT_SECONDS", 5)

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "realtime.redis_layer.RedisPubSubChannelLayer",
        # The reader polls with a 0.1 s read timeout, so unlike the queue
        # layer's blocking BZPOPMIN it needs no longer socket_timeout.
        "CONFIG": {
            "hosts": [REDIS_URL],
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
