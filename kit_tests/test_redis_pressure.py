"""The Redis layers under bursts, a killed server and an outage, on real daphnes,
through chat rooms.

Each test has a Redis and a daphne of its own (tests/redis_server.py): a burst
must wait for pooled connections, not fail; no group may keep a member whose
socket is gone; and no outage path may log a traceback.
"""

import asyncio
import json
import time
import urllib.error
import urllib.request

import pytest
import redis
from django.conf import settings
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.redis_server import RedisServer, live_server_on

pytestmark = [pytest.mark.live, pytest.mark.slow]

PUBSUB = settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("PubSubChannelLayer")
GROUP = "chat.burst"
# Redis counts a group's pub/sub subscribers per process, not per socket.
PER_SOCKET = not PUBSUB


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def start_server(private_redis, tmp_path):
    servers = []

    def start(**env):
        log = tmp_path / f"daphne{len(servers)}.log"
        server = live_server_on(private_redis, log)
        server.environment.update(env)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def members(redis_url, group=GROUP):
    """Members of `group` in Redis: sorted-set entries, or pub/sub subscribers."""
    client = redis.Redis.from_url(redis_url)
    try:
        if PUBSUB:
            [(_, count)] = client.pubsub_numsub(f"asgi__group__{group}")
            return count
        return client.zcard(f"asgi:group:{group}")
    finally:
        client.close()


def error_lines(server):
    return [line for line in server.log().splitlines() if " ERROR " in line]


async def open_many(server, path, count, **options):
    """Open `count` sockets at once: (the open ones, how many were refused)."""

    options.setdefault("origin", server.origin)

    async def one():
        try:
            return await connect(server.ws_url + path, open_timeout=30, **options)
        except (OSError, InvalidHandshake, TimeoutError):
            return None

    sockets = await asyncio.gather(*(one() for _ in range(count)))
    opened = [socket for socket in sockets if socket is not None]
    return opened, count - len(opened)


async def chat_works(socket):
    await socket.send(json.dumps({"message": "still here"}))
    while True:  # past the room's chat.presence frames
        reply = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        if reply["type"] != "chat.presence":
            return reply["message"] == "still here"


async def until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def test_a_burst_of_150_handshakes_is_served_whole(start_server):
    server = start_server()
    async with connect(f"{server.ws_url}/ws/chat/bystander/", origin=server.origin) as (
        bystander
    ):
        opened, refused = await open_many(server, "/ws/chat/burst/", 150)
        assert refused == 0
        await asyncio.gather(*(socket.close() for socket in opened))
        assert await chat_works(bystander)
    assert error_lines(server) == []
    assert "Traceback" not in server.log()


async def test_500_sockets_opened_and_closed_together_leave_no_member(
    start_server, private_redis
):
    server = start_server()
    # Five bursts of 100: daphne refuses a handshake its app has not accepted
    # within 5 s, which 500 at once can miss on a busy two-core machine.
    opened, refused = [], 0
    for _ in range(5):
        sockets, failed = await open_many(server, "/ws/chat/burst/", 100)
        opened, refused = opened + sockets, refused + failed
    assert refused == 0, server.log()[-3000:]
    assert members(private_redis.url) == (500 if PER_SOCKET else 1)
    await asyncio.gather(*(socket.close() for socket in opened))
    assert await until(lambda: members(private_redis.url) == 0, 10)
    assert error_lines(server) == []


def get_status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def test_no_outage_path_logs_a_traceback(start_server, private_redis):
    server = start_server()
    async with connect(f"{server.ws_url}/ws/chat/outage/", origin=server.origin) as (
        chat
    ):
        private_redis.stop()
        with pytest.raises(ConnectionClosed):
            await chat.send(json.dumps({"message": "during"}))
            while True:  # a chat.presence frame may come first
                await asyncio.wait_for(chat.recv(), 10)
        _, refused = await open_many(server, "/ws/chat/outage/", 3)
        assert refused > 0
        _, refused_origin = await open_many(
            server, "/ws/chat/outage/", 1, origin="http://evil.example"
        )
        assert refused_origin == 1
        assert await asyncio.to_thread(get_status, server.http_url + "/readyz") == 503
        await asyncio.sleep(1.5)  # the pub/sub reader retries once a second
    log = server.log()
    assert "Traceback" not in log, log
