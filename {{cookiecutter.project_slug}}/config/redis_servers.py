"""Where Redis is: one server (REDIS_URL), or a primary that Sentinel watches.

REDIS_SENTINELS switches the channel layer and the cache (and so tickets and
login throttles) to the primary the sentinels name: a change of
environment, not of code. `manage.py check` refuses contradictions
(config/checks.py). Topology and failover: docs/scaling-out.md.
https://github.com/django/channels_redis#hosts
https://github.com/jazzband/django-redis#use-the-sentinel-connection-factory
"""

from config.env import env_list, env_number, env_optional

DEFAULT_URL = "redis://127.0.0.1:6379/0"
REDIS_URL = env_optional("REDIS_URL") or DEFAULT_URL
# Set explicitly: with REDIS_SENTINELS it is ignored, and the check says so.
REDIS_URL_SET = env_optional("REDIS_URL") is not None
# Comma-separated host:port of the sentinels, and the name they know the
# primary by (sentinel.conf's `sentinel monitor NAME ...`).
REDIS_SENTINELS = env_list("REDIS_SENTINELS", default="")
REDIS_SENTINEL_MASTER = env_optional("REDIS_SENTINEL_MASTER")
# The password of the Redis servers (primary and replicas), and of the sentinels.
REDIS_PASSWORD = env_optional("REDIS_PASSWORD")
REDIS_SENTINEL_PASSWORD = env_optional("REDIS_SENTINEL_PASSWORD")
# Connections per pool per process (the layer has one, the cache another); a
# caller waits up to REDIS_POOL_TIMEOUT_SECONDS for a free one, then fails as
# in an outage. Under Sentinel the pools do not wait: redis-py has no waiting
# Sentinel pool, so a caller past the cap fails at once.
REDIS_MAX_CONNECTIONS = env_number("REDIS_MAX_CONNECTIONS", 50)
REDIS_POOL_TIMEOUT_SECONDS = env_number("REDIS_POOL_TIMEOUT_SECONDS", 5)
# Seconds to reach a server or sentinel: an unreachable one is given up on
# quickly, and the next sentinel asked.
CONNECT_SECONDS = 2


def parse_address(entry):
    """("host", port) from "host:port" (IPv6 as "[::1]:26379"), or None."""
    host, sep, port = entry.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


BAD_SENTINELS = [entry for entry in REDIS_SENTINELS if not parse_address(entry)]
SENTINEL_ADDRESSES = [parse_address(e) for e in REDIS_SENTINELS if parse_address(e)]
PASSWORD = {"password": REDIS_PASSWORD} if REDIS_PASSWORD else {}
SENTINEL_KWARGS = {
    "socket_connect_timeout": CONNECT_SECONDS,
    "socket_timeout": CONNECT_SECONDS,
    **({"password": REDIS_SENTINEL_PASSWORD} if REDIS_SENTINEL_PASSWORD else {}),
}

if not REDIS_SENTINELS:
    # A channels-redis host: both layers take it as it is.
    REDIS_HOST = {"address": REDIS_URL, **PASSWORD}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "pool_class": "redis.BlockingConnectionPool",
                "max_connections": REDIS_MAX_CONNECTIONS,
                "timeout": REDIS_POOL_TIMEOUT_SECONDS,
                **PASSWORD,
            },
        },
    }
else:
    # channels-redis asks the sentinels for the primary on each new connection.
    REDIS_HOST = {
        "sentinels": SENTINEL_ADDRESSES,
        "master_name": REDIS_SENTINEL_MASTER,
        "sentinel_kwargs": SENTINEL_KWARGS,
        "socket_connect_timeout": CONNECT_SECONDS,
        "max_connections": REDIS_MAX_CONNECTIONS,
        **PASSWORD,
    }
    # Django's RedisCache knows no Sentinel: django-redis's client does. One
    # location, the primary: reads see the writes just made (a ticket used at
    # once), which a replica may not have yet.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            # Without a name, config.E001 stops `manage.py check` and the server.
            "LOCATION": [f"redis://{REDIS_SENTINEL_MASTER or 'unnamed'}/0"],
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.SentinelClient",
                "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
                "SENTINELS": SENTINEL_ADDRESSES,
                "SENTINEL_KWARGS": SENTINEL_KWARGS,
                "SOCKET_CONNECT_TIMEOUT": CONNECT_SECONDS,
                "SOCKET_TIMEOUT": 5,
                "CONNECTION_POOL_KWARGS": {"max_connections": REDIS_MAX_CONNECTIONS},
                **({"PASSWORD": REDIS_PASSWORD} if REDIS_PASSWORD else {}),
            },
        },
    }
