"""Presence in the chat sample on real servers: two `manage.py serve` processes, one Redis.

Correct across processes; the members of a process killed with SIGKILL leave
the list within heartbeat + expiry; a join burst of 500 sockets is announced
once per window, not once per join. Run on both Redis layers.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from websockets.asyncio.client import connect

from tests.servers import RedisServer, Uvicorn

HEARTBEAT, EXPIRY, WINDOW = 1, 3, 0.5
BURST = 500


@pytest.fixture(scope="module", params=["redis", "redis-pubsub"])
def two_servers(request, baked, tmp_path_factory):
    """Two single-process servers of the bake on a Redis of their own, for the
    module: the burst runs first, the kill last."""
    tmp_path = tmp_path_factory.mktemp(f"presence-{request.param}")
    redis = RedisServer(tmp_path).start()
    env = {
        "REDIS_URL": redis.url,
        "CHAT_PRESENCE_HEARTBEAT_SECONDS": str(HEARTBEAT),
        "CHAT_PRESENCE_EXPIRY_SECONDS": str(EXPIRY),
        "CHAT_PRESENCE_ANNOUNCE_SECONDS": str(WINDOW),
        # Every test socket comes from 127.0.0.1: no per-address caps.
        "WEBSOCKET_CLIENT_MAX_SOCKETS": "0",
        "WEBSOCKET_CLIENT_HANDSHAKE_RATE": "0",
    }
    project = baked(request.param)
    servers = [Uvicorn(project, tmp_path / f"serve-{n}.log", env=env) for n in (0, 1)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
        redis.stop()
    for server in servers:
        assert "Traceback" not in server.log()


def tickets_for(server, *names):
    """A websocket ticket for each of `names`, made users of the bake if need be."""
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from realtime_kit.tickets import issue_ticket\n"
        f"for name in {list(names)!r}:\n"
        "    user, _ = get_user_model().objects.get_or_create(username=name)\n"
        "    print('ticket', issue_ticket(user)[0])\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=server.cwd,
        env=server.environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    return [line.split()[1] for line in lines if line.startswith("ticket ")]


def chat_socket(server, room, ticket=None):
    protocols = ["ticket", ticket] if ticket else None
    return connect(
        f"{server.ws_url}/ws/chat/{room}/",
        origin=server.origin,
        subprotocols=protocols,
        open_timeout=30,
    )


def presence(users=(), anonymous=0):
    return {"type": "chat.presence", "users": list(users), "anonymous": anonymous}


async def presence_reaches(socket, expected, seconds):
    """Seconds until a chat.presence frame equal to `expected` arrives, or None."""
    started = time.monotonic()
    while (left := started + seconds - time.monotonic()) > 0:
        try:
            frame = json.loads(await asyncio.wait_for(socket.recv(), left))
        except TimeoutError:
            return None
        if frame == expected:
            return time.monotonic() - started
    return None


async def count_frames(socket, counts):
    """Count each chat.presence frame `socket` receives; keep the last."""
    async for text in socket:
        frame = json.loads(text)
        if frame["type"] == "chat.presence":
            counts["frames"] += 1
            counts["last"] = frame


async def test_a_join_burst_of_500_is_announced_once_per_window(two_servers):
    sockets = []
    counts = [{"frames": 0, "last": None} for _ in range(BURST)]
    readers = []
    started = time.monotonic()
    try:
        for batch in range(0, BURST, 100):
            opened = await asyncio.gather(
                *(
                    chat_socket(two_servers[n % 2], "burst")
                    for n in range(batch, batch + 100)
                )
            )
            sockets += opened
            for socket in opened:
                count = counts[len(readers)]
                readers.append(asyncio.create_task(count_frames(socket, count)))
        burst_seconds = time.monotonic() - started
        # Until every member has heard of all 500 and two windows stay quiet.
        deadline = time.monotonic() + 30
        while any(c["last"] != presence(anonymous=BURST) for c in counts):
            assert time.monotonic() < deadline, "not every member heard of all"
            await asyncio.sleep(0.1)
        before = sum(c["frames"] for c in counts)
        await asyncio.sleep(2 * WINDOW)
        deliveries = sum(c["frames"] for c in counts)
        assert deliveries == before
        # At most one announcement per window, to at most every member;
        # one per join would be 1 + 2 + ... + 500 = 125,250 frames.
        assert deliveries <= BURST * (burst_seconds / WINDOW + 2)
        print(
            f"\n{BURST} joins in {burst_seconds:.1f} s: {deliveries} presence"
            f" frames (one per join: {BURST * (BURST + 1) // 2})"
        )
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*(socket.close() for socket in sockets))


async def test_presence_crosses_processes_and_a_killed_process_members_leave(
    two_servers,
):
    first, second = two_servers
    ada, zoe = tickets_for(first, "ada", "zoe")
    async with (
        chat_socket(first, "who", ada) as on_first,
        chat_socket(first, "who") as anonymous_on_first,
        chat_socket(second, "who", zoe) as on_second,
        chat_socket(second, "who") as anonymous_on_second,
    ):
        everyone = presence(users=["ada", "zoe"], anonymous=2)
        for socket in (on_first, anonymous_on_first, on_second, anonymous_on_second):
            assert await presence_reaches(socket, everyone, 5) is not None

        os.kill(first.pid, signal.SIGKILL)
        first.process.wait()
        survivors = presence(users=["zoe"], anonymous=1)
        bound = EXPIRY + HEARTBEAT + WINDOW + 1
        gone_after = await presence_reaches(on_second, survivors, bound)
        assert gone_after is not None, f"the dead members stayed over {bound} s"
        assert await presence_reaches(anonymous_on_second, survivors, 1) is not None
        print(f"\nmembers of the killed process gone after {gone_after:.1f} s")
