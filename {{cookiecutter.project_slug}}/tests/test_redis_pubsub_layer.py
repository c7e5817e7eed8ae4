"""The Redis pub/sub channel layer, on a real Redis server.

Every consumer test of this project already runs on it (tests/settings.py).
Here two layer instances stand for two server processes, on the tests' Redis;
the live tests start a Redis of their own, which the outage test stops.
"""

import asyncio
import json
import os

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from config import channel_layer
from tasks.checks import check_task_runner
from tests.redis_server import RedisServer, live_server_on

BACKEND = "channels_redis.pubsub.RedisPubSubChannelLayer"

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_url():
    return os.environ["REDIS_URL"]  # set by tests/settings.py


@pytest.fixture
async def two_processes(redis_url):
    """Two layers on one Redis, as two server processes would have."""
    layers = [RedisPubSubChannelLayer(hosts=[redis_url]) for _ in range(2)]
    yield layers
    for layer in layers:
        await layer.flush()


async def receive(layer, channel, seconds=5):
    return await asyncio.wait_for(layer.receive(channel), seconds)


async def nothing_arrives(layer, channel, seconds=0.3):
    try:
        await receive(layer, channel, seconds)
    except TimeoutError:
        return True
    return False


def test_the_project_settings_choose_redis_pubsub():
    assert channel_layer.CHANNEL_LAYERS["default"]["BACKEND"] == BACKEND


def test_worker_mode_is_refused(settings):
    settings.CHANNEL_LAYERS = channel_layer.CHANNEL_LAYERS
    settings.TASK_RUNNER = "worker"
    [error] = check_task_runner(None)
    assert error.id == "tasks.E002"
    assert BACKEND in error.msg


async def test_a_group_message_reaches_members_in_both_processes(two_processes):
    first, second = two_processes
    on_first = await first.new_channel()
    on_second = await second.new_channel()
    elsewhere = await second.new_channel()
    await first.group_add("room", on_first)
    await second.group_add("room", on_second)
    await second.group_add("other-room", elsewhere)

    await first.group_send("room", {"type": "chat.message", "text": "hi"})
    for layer, channel in [(first, on_first), (second, on_second)]:
        assert (await receive(layer, channel))["text"] == "hi"
    assert await nothing_arrives(second, elsewhere)

    await second.group_discard("room", on_second)
    await first.group_send("room", {"type": "chat.message", "text": "again"})
    assert (await receive(first, on_first))["text"] == "again"
    assert await nothing_arrives(second, on_second)


async def test_a_message_to_a_consumers_own_channel_crosses_processes(two_processes):
    first, second = two_processes
    channel = await second.new_channel()
    await first.send(channel, {"type": "direct", "n": 1})
    assert await receive(second, channel) == {"type": "direct", "n": 1}


async def test_a_named_channel_hands_every_message_to_every_listener(two_processes):
    """Why worker mode is refused: two `runworker`s would both run each job."""
    listeners = [
        asyncio.ensure_future(layer.receive("tasks")) for layer in two_processes
    ]
    await asyncio.sleep(0.2)  # both SUBSCRIBEs reach Redis
    await two_processes[0].send("tasks", {"type": "task.run", "task_id": "x"})
    received = await asyncio.wait_for(asyncio.gather(*listeners), 5)
    assert received == [{"type": "task.run", "task_id": "x"}] * 2


async def test_a_message_nobody_listens_to_yet_is_lost(two_processes):
    """At most once: Redis keeps nothing for a later listener."""
    first, second = two_processes
    await first.send("later", {"type": "lost"})
    assert await nothing_arrives(second, "later")


async def test_no_capacity_is_enforced_even_when_configured(redis_url):
    """No backpressure: messages pile up in memory; send never raises ChannelFull."""
    layer = RedisPubSubChannelLayer(hosts=[redis_url], capacity=1)
    try:
        channel = await layer.new_channel()
        for number in range(200):
            await layer.send(channel, {"type": "pile", "n": number})
        received = [(await receive(layer, channel))["n"] for _ in range(200)]
        assert received == list(range(200))
    finally:
        await layer.flush()


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
    return json.loads(await asyncio.wait_for(socket.recv(), 5))["message"]


async def chat_round_trip(server, room, text="ping"):
    async with chat_socket(server, room) as socket:
        await say(socket, text)
        assert await heard(socket) == text


async def echo_round_trip(socket, text):
    await socket.send(text)
    assert await asyncio.wait_for(socket.recv(), timeout=5) == text


async def until_chat_works(server, room, seconds=15):
    """Chat again once the layer has reconnected (its reader retries each second)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await chat_round_trip(server, room)
        except (OSError, InvalidStatus, ConnectionClosed, TimeoutError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


@pytest.mark.live
async def test_an_idle_chat_socket_outlives_redis_pys_default_read_timeout(
    pubsub_live_server,
):
    server = pubsub_live_server
    async with chat_socket(server, "idle") as socket:
        await asyncio.sleep(6)  # redis-py 8 gives up a read after 5 s
        await say(socket, "still here")
        assert await heard(socket) == "still here"
    assert "Traceback" not in server.log()


@pytest.mark.live
async def test_a_redis_outage_under_a_running_server(
    pubsub_live_server, restartable_redis
):
    server = pubsub_live_server
    echo_url = f"{server.ws_url}/ws/echo/"
    async with (
        connect(echo_url, origin=server.origin) as echo,
        chat_socket(server, "outage") as listener,
        chat_socket(server, "outage") as speaker,
    ):
        await say(speaker, "before")
        assert await heard(listener) == "before"
        assert await heard(speaker) == "before"
        restartable_redis.stop()

        # A socket that sends is closed with 4011; echo keeps working.
        await say(speaker, "during")
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(speaker.recv(), timeout=10)
        assert closed.value.rcvd.code == 4011
        await echo_round_trip(echo, "still here")

        # A new chat socket is refused at the handshake.
        with pytest.raises(InvalidStatus):
            await chat_round_trip(server, "outage")

        restartable_redis.start()
        await until_chat_works(server, "outage-after")

        # The socket that only listened stayed open, and hears again.
        async with chat_socket(server, "outage") as newcomer:
            await say(newcomer, "after")
            assert await heard(listener) == "after"
        await echo_round_trip(echo, "after the outage")

    log = server.log()
    errors = [line for line in log.splitlines() if " ERROR " in line]
    ours = [line for line in errors if "Channel layer failed" in line]
    assert 2 <= len(ours) <= 3, log
    # The layer's reader logs its own failures, with tracebacks, while Redis is
    # down; nothing else may fail.
    assert all(line in ours or "channels_redis.pubsub" in line for line in errors), log
    assert "Exception inside application" not in log
