"""Chat through a Redis outage on the pub/sub layer, under real servers."""

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
    """A Redis of this test's own: the outage test stops it."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def pubsub_live_server(restartable_redis, tmp_path):
    live = live_server_on(restartable_redis, tmp_path / "daphne.log")
    live.start()
    yield live
    live.stop()


def chat_socket(server, room):
    return connect(f"{server.ws_url}/ws/chat/{room}/", origin=server.origin)


async def say(socket, text):
    await socket.send(json.dumps({"message": text}))


async def heard(socket):
    return (await receive_chat(socket))["message"]


async def chat_round_trip(server, room, text="ping"):
    async with chat_socket(server, room) as socket:
        await say(socket, text)
        assert await heard(socket) == text


async def until_chat_works(server, room, seconds=15):
    """Chat again once the layer has reconnected (its reader retries each second)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await chat_round_trip(server, room)
        except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_an_idle_chat_socket_outlives_redis_pys_default_read_timeout(
    pubsub_live_server,
):
    server = pubsub_live_server
    async with chat_socket(server, "idle") as socket:
        await asyncio.sleep(6)  # redis-py 8 gives up a read after 5 s
        await say(socket, "still here")
        assert await heard(socket) == "still here"
    assert "Traceback" not in server.log()


async def test_a_redis_outage_under_a_running_server(
    pubsub_live_server, restartable_redis
):
    server = pubsub_live_server
    async with (
        chat_socket(server, "outage") as listener,
        chat_socket(server, "outage") as speaker,
    ):
        await say(speaker, "before")
        assert await heard(listener) == "before"
        assert await heard(speaker) == "before"
        restartable_redis.stop()

        # A socket that sends is closed with 4011.
        await say(speaker, "during")
        with pytest.raises(ConnectionClosed) as closed:
            while True:  # a chat.presence frame may come first
                await asyncio.wait_for(speaker.recv(), timeout=10)
        assert closed.value.rcvd.code == 4011

        # A new chat socket is refused at the handshake.
        with pytest.raises(InvalidStatus):
            await chat_round_trip(server, "outage")

        restartable_redis.start()
        await until_chat_works(server, "outage-after")

        # The socket that only listened stayed open, and hears again.
        async with chat_socket(server, "outage") as newcomer:
            await say(newcomer, "after")
            assert await heard(listener) == "after"

    log = server.log()
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert 2 <= len(errors) <= 3, log
    assert all("Channel layer failed" in line for line in errors), log
    # channels-redis's reader retries each second, and its clean-up of a channel
    # fails too: one plain WARNING line for each (config/settings.py's LOGGING),
    # no traceback.
    reader = [line for line in log.splitlines() if "channels_redis.pubsub" in line]
    assert len([line for line in reader if "in receive task" in line]) == 1, log
    assert len(reader) <= 2, log
    assert all(" WARNING " in line for line in reader), log
    assert "Traceback" not in log


async def test_a_stopped_redis_is_one_plain_line_a_minute_on_serve(
    restartable_redis, tmp_path
):
    """Under `manage.py serve`: the reader fails each second, Django's LOGGING lets
    one line through a minute (realtime_kit/log_filters.py), without traceback."""
    server = live_server_on(restartable_redis, tmp_path / "serve.log")
    server.server = "serve"
    server.start()
    try:
        async with chat_socket(server, "quiet") as socket:
            await say(socket, "before")
            assert await heard(socket) == "before"
            restartable_redis.stop()
            await asyncio.sleep(3.5)  # three or four retries of the reader
        log = server.log()
    finally:
        server.stop()
    lines = log.splitlines()
    reader = [line for line in lines if "in receive task" in line]
    assert len(reader) == 1, log
    assert " WARNING channels_redis.pubsub " in reader[0]
    assert "(ConnectionError: " in reader[0]  # the error's own last line
    assert "Traceback" not in log, log
