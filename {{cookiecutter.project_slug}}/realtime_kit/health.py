"""/healthz (the process serves) and /readyz (the layer, cache and database answer).

They answer before Django's middleware: no allowed Host needed, no redirect.
/readyz is 503 naming what failed, with one WARNING line per failure.
https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/
"""

import asyncio
import contextlib
import json
import logging
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)

# Seconds each dependency has to answer before it counts as failed.
CHECK_SECONDS = 3
PUBSUB_LAYERS = ("channels_redis.pubsub.RedisPubSubChannelLayer",)
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"


async def check_channel_layer():
    layer = get_channel_layer()
    # The default prefix: channels-redis multiplexes a process's channels of one
    # prefix through one reader, and other prefixes wait behind its receive lock.
    name = await layer.new_channel()
    token = uuid.uuid4().hex
    await layer.send(name, {"type": "readyz", "token": token})
    message = await layer.receive(name)
    if message.get("token") != token:
        raise RuntimeError("another message came back")
    if settings.CHANNEL_LAYERS["default"]["BACKEND"] in PUBSUB_LAYERS:
        # The pub/sub layer subscribed to the channel in new_channel, and
        # unsubscribes only when a receive on it ends without a message.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(layer.receive(name), 0.001)


async def check_cache():
    key = f"readyz:{uuid.uuid4().hex}"
    await cache.aset(key, "1", timeout=10)
    if await cache.aget(key) != "1":
        raise RuntimeError("a value just written was not read back")
    await cache.adelete(key)


@sync_to_async
def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


CHECKS = {
    "channel_layer": check_channel_layer,
    "cache": check_cache,
    "database": check_database,
}


async def failed_checks():
    """The names of the dependencies that failed or did not answer in time."""
    failed = []
    for name, check in CHECKS.items():
        try:
            await asyncio.wait_for(check(), CHECK_SECONDS)
        except Exception as error:  # any failure means "not ready"
            reason = "no answer in time" if isinstance(error, TimeoutError) else error
            logger.warning("Not ready: %s failed: %s", name, str(reason)[:200])
            failed.append(name)
    return failed


async def send_json(send, status, body):
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


class HealthCheckMiddleware:
    """Wraps the HTTP application; answers /healthz and /readyz itself."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        path = scope.get("path")
        if scope["type"] != "http" or path not in (HEALTH_PATH, READY_PATH):
            return await self.inner(scope, receive, send)
        if path == HEALTH_PATH:
            return await send_json(send, 200, {"status": "ok"})
        failed = await failed_checks()
        if failed:
            body = {"status": "unavailable", "failed": failed}
            return await send_json(send, 503, body)
        return await send_json(send, 200, {"status": "ready"})
