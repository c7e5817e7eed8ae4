"""Hostile load on a live Redis bake: the attacks a client or an outage can mount.

One private redis-server and the production command (`manage.py serve`, uvicorn,
one process) per test. Every client runs on the loopback, bounded in count and
time. uvicorn believes X-Forwarded-For from 127.0.0.1 (SERVER_FORWARDED_ALLOW_IPS),
so each simulated client gets an address of its own through that header, as it
would behind nginx.

Each test prints the figures it measured (`pytest -s` shows them) and checks
one rule:
- a burst of handshakes never exhausts the Redis connection pool;
- sockets that close leave no member in a group;
- one client address gets a bounded number of sockets and handshakes, and a
  client closed for flooding is refused for a cooling period;
- a bystander's chat round trip stays under 0.5 s at the 99th percentile while
  one client floods;
- nothing a client sends and no Redis outage logs a traceback.
"""

import asyncio
import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.servers import RedisServer, Uvicorn
from tests.sockets import session_cookie_from

PROTECTIONS_OFF = {
    "WEBSOCKET_RATE_LIMIT": "0",
    "WEBSOCKET_CLIENT_MAX_SOCKETS": "0",
    "WEBSOCKET_CLIENT_HANDSHAKE_RATE": "0",
    "WEBSOCKET_CLIENT_RATE_LIMIT": "0",
}
COOLDOWN = 2  # seconds, WEBSOCKET_CLIENT_COOLDOWN_SECONDS of these servers


def address(number):
    """A distinct client address for client `number`, as a proxy would forward it."""
    return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


def figures(name, **values):
    print(
        f"\n[hostile load] {name}: " + ", ".join(f"{k}={v}" for k, v in values.items())
    )


def log_lines(server, level):
    return [line for line in server.log().splitlines() if f" {level} " in line]


def warnings_about(server, text):
    """The server's WARNING lines that mention `text`, once the log has settled."""
    time.sleep(0.3)
    return [line for line in log_lines(server, "WARNING") if text in line]


def assert_quiet(server):
    """No traceback and no ERROR line in the server's log."""
    log = server.log()
    assert "Traceback" not in log, log[-4000:]
    assert not log_lines(server, "ERROR"), "\n".join(log_lines(server, "ERROR"))[:4000]


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


COLLECTED = set()


def collected(project):
    """`project`, its static files collected once: pages need them with DEBUG off."""
    if project not in COLLECTED:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input"],
            cwd=project,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
            capture_output=True,
            check=True,
            timeout=120,
        )
        COLLECTED.add(project)
    return project


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def serve(baked, redis_server, tmp_path):
    """serve(**env) starts `manage.py serve` on the Redis bake; all stop after."""
    servers = []

    def start(layer="redis", **env):
        environment = {
            "REDIS_URL": redis_server.url,
            "WEBSOCKET_CLIENT_COOLDOWN_SECONDS": str(COOLDOWN),
            # A database of its own: the jobs it starts leave no queue behind.
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            **env,
        }
        log_path = tmp_path / f"serve-{len(servers)}.log"
        server = Uvicorn(collected(baked(layer)), log_path, env=environment)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


def open_socket(server, path, client, **kwargs):
    return connect(
        server.ws_url + path,
        origin=server.origin,
        additional_headers={"X-Forwarded-For": client, **kwargs.pop("headers", {})},
        open_timeout=20,
        **kwargs,
    )


async def chat_round_trip(socket, text):
    """Seconds from sending `text` to the room until it comes back."""
    started = time.perf_counter()
    await socket.send(json.dumps({"message": text}))
    while True:
        reply = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if reply.get("message") == text:
            return time.perf_counter() - started


async def reply_type(socket):
    """The type of the next frame other than chat.presence (who is in the room)."""
    while True:
        reply = json.loads(await asyncio.wait_for(socket.recv(), 5))
        if reply["type"] != "chat.presence":
            return reply["type"]


async def handshakes(server, path, clients, **kwargs):
    """Open one socket per client address at once: (opened sockets, failures)."""
    results = await asyncio.gather(
        *(open_socket(server, path, address(n), **kwargs) for n in clients),
        return_exceptions=True,
    )
    opened = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, BaseException)]
    return opened, failed


async def close_all(sockets):
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


def group_members(redis_url, group):
    """Members of a channel-layer group in Redis, live or expired-but-not-cleaned."""
    client = redis.Redis.from_url(redis_url)
    try:
        return client.zcard(f"asgi:group:{group}")
    finally:
        client.close()


@pytest.mark.parametrize("layer", ["redis", "redis-pubsub"])
def test_a_burst_of_handshakes_refuses_no_one(serve, layer):
    server = serve(layer)
    cookie = session_cookie_from(server)

    async def attack():
        async with open_socket(server, "/ws/chat/bystander/", "192.0.2.1") as bystander:
            await chat_round_trip(bystander, "before")
            chat, chat_failed = await handshakes(server, "/ws/chat/burst/", range(150))
            tasks, tasks_failed = await handshakes(
                server,
                "/ws/tasks/",
                range(1000, 1150),
                headers={"Cookie": cookie},
            )
            await close_all(chat + tasks)
            after = await chat_round_trip(bystander, "after")
        return len(chat_failed), len(tasks_failed), after

    chat_refused, tasks_refused, after = asyncio.run(attack())
    time.sleep(0.5)
    errors = len(log_lines(server, "ERROR"))
    figures(
        f"150+150 handshakes ({layer})",
        chat_refused=chat_refused,
        tasks_refused=tasks_refused,
        error_lines=errors,
        bystander_round_trip_s=round(after, 3),
    )
    assert (chat_refused, tasks_refused) == (0, 0)
    assert_quiet(server)


def test_500_sockets_closed_together_leave_no_member(serve, redis_server):
    server = serve()

    async def cycle():
        sockets, failed = await handshakes(server, "/ws/chat/crowd/", range(500))
        members_open = group_members(redis_server.url, "chat.crowd")
        await close_all(sockets)
        return len(failed), members_open

    refused, members_open = asyncio.run(cycle())
    deadline = time.monotonic() + 10
    while (left := group_members(redis_server.url, "chat.crowd")) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    figures(
        "500 sockets opened then closed",
        refused=refused,
        members_while_open=members_open,
        members_left=left,
        error_lines=len(log_lines(server, "ERROR")),
    )
    assert refused == 0
    assert members_open == 500
    assert left == 0
    assert_quiet(server)


def test_one_client_gets_a_bounded_number_of_sockets(serve):
    cap = 10
    server = serve(WEBSOCKET_CLIENT_MAX_SOCKETS=str(cap))

    async def hoard():
        results = []
        for _ in range(cap + 5):
            try:
                results.append(await open_socket(server, "/ws/echo/", "198.51.100.7"))
            except InvalidStatus as refused:
                results.append(refused.response.status_code)
        sockets = [r for r in results if not isinstance(r, int)]
        async with open_socket(server, "/ws/echo/", "198.51.100.8") as other:
            await other.send("another client is served")
            other_served = await other.recv() == "another client is served"
        await close_all(sockets)
        return len(sockets), [r for r in results if isinstance(r, int)], other_served

    opened, refusals, other_served = asyncio.run(hoard())
    warnings = warnings_about(server, "198.51.100.7")
    figures(
        "one client opening 15 sockets, cap 10",
        opened=opened,
        refused=len(refusals),
        warning_lines=len(warnings),
    )
    assert opened == cap
    assert refusals == [403] * 5
    # One line for the first refusal; the other four are counted in one more
    # line once the address has nothing left open (not one line each).
    assert 1 <= len(warnings) <= 2, warnings
    assert "over 10 sockets" in warnings[0]
    assert other_served
    assert_quiet(server)


def test_a_flooder_is_closed_once_and_cooled(serve):
    server = serve()

    async def flood():
        async with open_socket(server, "/ws/chat/flood/", "203.0.113.9") as socket:
            with contextlib.suppress(ConnectionClosed):
                for n in range(1000):
                    await socket.send(json.dumps({"message": f"spam {n}"}))
            with contextlib.suppress(ConnectionClosed):
                while True:
                    await asyncio.wait_for(socket.recv(), 5)
            code = socket.close_code
        try:
            async with open_socket(server, "/ws/chat/flood/", "203.0.113.9"):
                at_once = "open"
        except InvalidStatus as refused:
            at_once = refused.response.status_code
        await asyncio.sleep(COOLDOWN + 0.5)
        async with open_socket(server, "/ws/chat/flood/", "203.0.113.9"):
            later = "open"
        return code, at_once, later

    code, at_once, later = asyncio.run(flood())
    warnings = warnings_about(server, "203.0.113.9")
    figures(
        "a flooder",
        close_code=code,
        reconnect_at_once=at_once,
        reconnect_after_cooldown=later,
        warning_lines=len(warnings),
    )
    assert code == 4008
    assert at_once == 403
    assert later == "open"
    # One line for the close, one for the refused reconnect.
    assert len(warnings) == 2, "\n".join(warnings)
    assert_quiet(server)


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def bystander_round_trips(server, count=150, interval=1 / 15, within=30):
    """Up to `count` chat round trips in a quiet room, in seconds, for at most
    `within` seconds in all; ends early if the bystander is closed."""
    samples = []
    deadline = time.monotonic() + within
    async with open_socket(server, "/ws/chat/quiet/", "192.0.2.50") as bystander:
        for n in range(count):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                round_trip = chat_round_trip(bystander, f"hello {n}")
                samples.append(await asyncio.wait_for(round_trip, remaining))
            except (TimeoutError, ConnectionClosed):
                break
            await asyncio.sleep(interval)
    return samples


async def flooder(server, stop, workers=20):
    """One client opening sockets as fast as it may and sending as fast as it
    can into its own room, reconnecting after each close or refusal (within
    0.1 s: at most 200 handshakes/s, so the loopback's ports last the test)."""
    sent = 0

    async def worker():
        nonlocal sent
        while not stop.is_set():
            try:
                async with open_socket(server, "/ws/chat/flood/", "203.0.113.66") as s:
                    while not stop.is_set():
                        await s.send(json.dumps({"message": "x" * 200}))
                        sent += 1
                        await asyncio.sleep(0.001)
            except (ConnectionClosed, InvalidStatus, OSError, TimeoutError):
                await asyncio.sleep(0.1)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return sent


async def steady_sockets(server, stop, sockets=20, rate=19):
    """One client with `sockets` sockets in one room, each just under the rate limit."""
    sent = 0

    async def member(number):
        nonlocal sent
        with contextlib.suppress(ConnectionClosed, InvalidStatus, OSError):
            async with open_socket(server, "/ws/chat/busy/", "203.0.113.77") as s:

                async def drain():
                    while True:
                        await s.recv()

                reader = asyncio.ensure_future(drain())
                try:
                    while not stop.is_set():
                        await s.send(json.dumps({"message": f"{number} " + "y" * 200}))
                        sent += 1
                        await asyncio.sleep(1 / rate)
                finally:
                    reader.cancel()

    await asyncio.gather(*(member(n) for n in range(sockets)))
    return sent


def run_attack(attack, server, stopping, sent):
    """In a process of its own, so that the attacker never slows the bystander's
    client: `attack` until `stopping` is set, its message count into `sent`."""

    async def attack_until_stopped():
        stop = asyncio.Event()

        async def watch():
            await asyncio.to_thread(stopping.wait)
            stop.set()

        watching = asyncio.ensure_future(watch())
        sent.value = await attack(server, stop)
        await watching

    asyncio.run(attack_until_stopped())


@pytest.mark.parametrize("attack", [flooder, steady_sockets])
def test_a_bystander_stays_served(serve, attack):
    server = serve()
    stopping, sent = multiprocessing.Event(), multiprocessing.Value("q", 0)
    attacker = multiprocessing.Process(
        target=run_attack, args=(attack, server, stopping, sent)
    )
    attacker.start()
    try:
        time.sleep(1)
        samples = asyncio.run(bystander_round_trips(server))
    finally:
        stopping.set()
        attacker.join(30)
        if attacker.is_alive():
            attacker.kill()
    p99 = percentile(samples, 0.99) if samples else None
    figures(
        f"bystander during {attack.__name__}",
        p50_ms=round(statistics.median(samples) * 1000, 1) if samples else None,
        p99_ms=round(p99 * 1000, 1) if samples else None,
        max_ms=round(max(samples) * 1000, 1) if samples else None,
        round_trips=len(samples),
        attacker_messages=sent.value,
    )
    assert len(samples) == 150, "the bystander was closed or starved"
    assert p99 < 0.5
    assert_quiet(server)


async def drain(socket):
    with contextlib.suppress(ConnectionClosed):
        async for _ in socket:
            pass


def never_reading_member(server, path, client):
    """A raw socket that completes the handshake, then never reads again."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    raw.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {server.origin}\r\n"
            f"X-Forwarded-For: {client}\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += raw.recv(1)
    assert response.startswith(b"HTTP/1.1 101"), response
    return raw


@pytest.mark.parametrize("layer", ["in-memory", "redis"])
def http_status(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_nothing_a_client_sends_logs_a_traceback(serve):
    server = serve()
    cookie = session_cookie_from(server)
    nested = "[" * 2000 + "]" * 2000

    async def send_garbage():
        replies = {}
        for path, headers in (
            ("/ws/chat/garbage/", {}),
            ("/ws/tasks/", {"Cookie": cookie}),
        ):
            async with open_socket(server, path, "192.0.2.3", headers=headers) as s:
                await s.send(nested)
                replies[path] = await reply_type(s)
                await s.send(json.dumps({"message": "still open"}))
            # Gone at once: whatever the server sends next has no one to go to.
            raw = never_reading_member(server, "/ws/chat/garbage/", "192.0.2.4")
            raw.sendall(bytes([0x81, 0x80, 0, 0, 0, 0]))
            raw.close()
        return replies

    replies = asyncio.run(send_garbage())
    bad_host = http_status(server.http_url + "/", {"Host": "evil.example"})
    host_warnings = warnings_about(server, "evil")
    figures(
        "garbage",
        replies=replies,
        bad_host_status=bad_host,
        bad_host_warning_lines=len(host_warnings),
    )
    assert set(replies.values()) == {"error"}
    assert bad_host == 400
    assert len(host_warnings) == 1
    assert_quiet(server)


@pytest.mark.parametrize("layer", ["redis", "redis-pubsub"])
def test_a_redis_outage_logs_no_traceback(serve, redis_server, layer):
    server = serve(layer)
    cookie = session_cookie_from(server)

    async def during_outage():
        outcomes = []
        async with open_socket(
            server, "/ws/tasks/", "192.0.2.5", headers={"Cookie": cookie}
        ) as s:
            await s.send(json.dumps({"action": "start", "steps": 50}))
            outcomes.append(json.loads(await asyncio.wait_for(s.recv(), 5))["type"])
            redis_server.stop()
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                while True:
                    await asyncio.wait_for(s.recv(), 3)
        for path, origin, headers in (
            ("/ws/tasks/", server.origin, {"Cookie": cookie}),
            ("/ws/chat/down/", server.origin, {}),
            ("/ws/chat/down/", "http://evil.example", {}),
        ):
            try:
                async with connect(
                    server.ws_url + path,
                    origin=origin,
                    additional_headers=headers,
                    open_timeout=20,
                ) as s:
                    await s.send(json.dumps({"action": "watch", "task_id": "0" * 32}))
                    await asyncio.wait_for(s.recv(), 5)
                    outcomes.append("open")
            except (InvalidStatus, ConnectionClosed, TimeoutError) as error:
                outcomes.append(type(error).__name__)
        await asyncio.sleep(3)  # the pub/sub reader retries meanwhile
        return outcomes

    outcomes = asyncio.run(during_outage())
    redis_server.start()
    figures(f"Redis down ({layer})", outcomes=outcomes)
    log = server.log()
    assert "Traceback" not in log, log[-4000:]
