"""Chat through a Redis outage under a real daphne: 4011, one ERROR line, then back."""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from tests.redis_server import RedisServer, live_server_on
from tests.sockets import receive_chat

pytestmark = pytest.mark.live


@pytest.fixture
def restartable_redis(tmp_path):
    """A Redis of this test's own: it stops it."""
    server = RedisServer(tmp_path).start()
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
        assert (await receive_chat(socket))["message"] == "ping"


async def until_chat_works(server, room, seconds=10):
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await chat_round_trip(server, room)
        except (OSError, InvalidHandshake, ConnectionClosed):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def closed_with(socket):
    with pytest.raises(ConnectionClosed) as closed:
        while True:  # a chat.presence frame may come first
            await asyncio.wait_for(socket.recv(), timeout=10)
    return closed.value.rcvd.code


async def test_a_redis_outage_under_a_running_server(
    redis_live_server, restartable_redis
):
    server = redis_live_server
    async with (
        connect(f"{server.ws_url}/ws/chat/held/", origin=server.origin) as chat,
    ):
        await chat_round_trip(server, "outage")
        restartable_redis.stop()
        # An open socket is closed with 4011.
        assert await closed_with(chat) == 4011

    # A new chat socket is refused at the handshake.
    with pytest.raises(InvalidStatus):
        await chat_round_trip(server, "outage")

    restartable_redis.start()
    # The first use of each pooled connection to the old Redis fails once;
    # clients reconnect, as the demo pages do.
    await until_chat_works(server, "outage")

    log = server.log()
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert 2 <= len(errors) <= 5, log
    assert all("Channel layer failed" in line for line in errors), log
    assert "Traceback" not in log
