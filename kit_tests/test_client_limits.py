"""Caps per client address (realtime_kit/client_limits.py), the origin check
and unknown routes, on a real `manage.py serve`.

uvicorn believes X-Forwarded-For from 127.0.0.1, so each test is a client
address of its own. The caps are small and the cooldown short, for speed.
"""

import asyncio
import contextlib
import json
import time
import urllib.request

import pytest
from channels.testing import WebsocketCommunicator
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from realtime_kit.client_limits import ClientLimitMiddleware
from tests.live_server import LiveServer
from tests.sockets import close_code, receive_chat

pytestmark = pytest.mark.live

COOLDOWN = 1.5
CAPS = {
    "WEBSOCKET_CLIENT_MAX_SOCKETS": "3",
    "WEBSOCKET_CLIENT_HANDSHAKE_RATE": "4",
    "WEBSOCKET_CLIENT_HANDSHAKE_BURST": "6",
    "WEBSOCKET_CLIENT_RATE_LIMIT": "5",
    "WEBSOCKET_CLIENT_RATE_BURST": "10",
    "WEBSOCKET_CLIENT_COOLDOWN_SECONDS": str(COOLDOWN),
    "WEBSOCKET_MAX_MESSAGE_BYTES": "6000",
    "SERVER_SHUTDOWN_SECONDS": "1",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The project under `manage.py serve`, with small caps."""
    live = LiveServer(
        tmp_path_factory.mktemp("serve") / "serve.log", env=CAPS, server="serve"
    )
    live.start()
    yield live
    live.stop()


def chat(server, address, room="caps"):
    return connect(
        f"{server.ws_url}/ws/chat/{room}/",
        origin=server.origin,
        additional_headers={"X-Forwarded-For": address},
        open_timeout=5,
    )


async def refused(server, address):
    """The HTTP status of a refused handshake from `address`."""
    with pytest.raises(InvalidStatus) as refusal:
        async with chat(server, address):
            pass
    return refusal.value.response.status_code


def log_lines(server, text, expected=1, seconds=3):
    """The server's log lines with `text`, once there are `expected` (or time is up)."""
    deadline = time.monotonic() + seconds
    while True:
        lines = [line for line in server.log().splitlines() if text in line]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


async def test_over_the_socket_cap_a_handshake_is_refused_with_one_warning(server):
    address = "10.1.0.1"
    async with chat(server, address), chat(server, address):
        async with chat(server, address):
            assert await refused(server, address) == 403
            lines = log_lines(server, f"client {address} ")
            assert len(lines) == 1
            assert "WARNING" in lines[0]
            assert "over 3 sockets" in lines[0]
            assert "/ws/chat/caps/" in lines[0]
        await asyncio.sleep(0.3)  # the server saw one leave
        async with chat(server, address) as again:
            await again.send(json.dumps({"message": "back"}))
            assert (await receive_chat(again))["message"] == "back"
    assert "Traceback" not in server.log()


async def test_handshakes_are_limited_per_second(server):
    address = "10.1.0.2"
    for _ in range(6):  # the burst
        async with chat(server, address):
            pass
    assert await refused(server, address) == 403
    [line] = log_lines(server, f"client {address} ")
    assert "over 4.0 handshakes/s (burst 6)" in line
    await asyncio.sleep(0.3)  # a token back at 4 a second
    async with chat(server, address):
        pass


async def closed_with(socket, seconds=2):
    """The code `socket` was closed with within `seconds`, or None if still open."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), seconds)
    except ConnectionClosed as closed:
        return closed.rcvd.code
    except TimeoutError:
        return None


async def test_a_client_over_its_message_budget_is_closed_then_cools_down(server):
    address = "10.1.0.3"
    async with chat(server, address, "budget") as first, chat(server, address) as other:
        # 20 messages over two sockets, each under the per-socket burst (40):
        # together they go over the client's burst of 10.
        for number in range(20):
            socket = first if number % 2 == 0 else other
            await socket.send(json.dumps({"message": str(number)}))
        codes = [await closed_with(first), await closed_with(other)]
        assert 4008 in codes
        lines = log_lines(server, f"Websocket closed (4008): client {address} ")
        assert len(lines) == codes.count(4008)
        assert "over 5.0 messages/s (burst 10)" in lines[0]
        # Cooling: a reconnect at once is refused, with one line.
        assert await refused(server, address) == 403
        [line] = log_lines(server, f"Websocket refused: client {address} ")
        assert "cooling down" in line
    await asyncio.sleep(COOLDOWN + 0.2)
    async with chat(server, address) as again:
        await again.send(json.dumps({"message": "after"}))
        assert (await receive_chat(again))["message"] == "after"
    assert "Traceback" not in server.log()


async def test_an_oversize_message_is_closed_with_1009_logged_once_and_cools(server):
    address = "10.1.0.4"
    async with chat(server, address) as socket:
        await socket.send(json.dumps({"message": "x" * 8000}))
        assert await close_code(socket) == 1009  # uvicorn's own size cap
    lines = log_lines(server, f"client {address} sent a message over")
    assert len(lines) == 1
    assert " WARNING " in lines[0]
    assert "Websocket closed (1009)" in lines[0]
    assert "WEBSOCKET_MAX_MESSAGE_BYTES" in lines[0]
    assert "/ws/chat/caps/" in lines[0]
    assert await refused(server, address) == 403
    await asyncio.sleep(COOLDOWN + 0.2)
    async with chat(server, address):
        pass


async def test_one_warning_line_per_flooder_close(server):
    """A socket over the per-socket rate: one line, not one per queued message."""
    address = "10.1.0.5"
    before = len(server.log().splitlines())
    async with chat(server, address, "flood") as socket:
        # The server may close it before all 60 are sent (a busy machine).
        with contextlib.suppress(ConnectionClosed):
            for _ in range(60):
                await socket.send(json.dumps({"message": "x"}))
        assert await close_code(socket) == 4008
    await asyncio.sleep(0.5)
    new = server.log().splitlines()[before:]
    assert len([line for line in new if "WARNING" in line or "ERROR" in line]) == 1


@pytest.mark.parametrize(
    "frame",
    ["[" * 2000 + "]" * 2000, '{"a":' * 800 + "1" + "}" * 800],
    ids=["nested-arrays", "nested-objects"],
)
async def test_nested_json_gets_an_error_reply_on_uvicorn(server, frame):
    path = "/ws/chat/nested/"
    address = f"10.1.6.{len(path) + len(frame) % 200}"
    async with connect(
        f"{server.ws_url}{path}",
        origin=server.origin,
        additional_headers={"X-Forwarded-For": address},
        max_size=None,
    ) as socket:
        for _ in range(2):  # and the socket lives on
            await socket.send(frame)
            assert (await receive_chat(socket))["type"] == "error"
    assert "Traceback" not in server.log()


async def test_a_foreign_origin_is_refused_with_403_and_one_warning(server):
    address = "10.1.0.7"
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(
            f"{server.ws_url}/ws/chat/caps/",
            origin="http://evil.example",
            additional_headers={"X-Forwarded-For": address},
            open_timeout=5,
        ):
            pass
    assert refusal.value.response.status_code == 403
    lines = log_lines(server, "evil.example")
    assert len(lines) == 1
    assert " WARNING " in lines[0]
    assert "origin 'http://evil.example' is not one of ALLOWED_HOSTS" in lines[0]
    assert "DJANGO_ALLOWED_HOSTS" in lines[0]
    # The site's own origin still opens.
    async with chat(server, address):
        pass


async def test_an_unknown_route_is_refused_with_403_and_one_warning(server):
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(
            f"{server.ws_url}/ws/kit/nowhere/",
            origin=server.origin,
            additional_headers={"X-Forwarded-For": "10.1.0.8"},
            open_timeout=5,
        ):
            pass
    assert refusal.value.response.status_code == 403
    lines = log_lines(server, "/ws/kit/nowhere/")
    [line] = [line for line in lines if " WARNING " in line]
    assert "no route for path" in line
    assert "Traceback" not in server.log()


def test_a_bad_host_header_is_one_warning_without_traceback(server):
    request = urllib.request.Request(
        server.http_url + "/", headers={"Host": "evil.example"}
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10)
    assert answer.value.code == 400
    lines = log_lines(server, "evil.example")
    assert [line for line in lines if "WARNING" in line and "security" in line]
    warnings = [line for line in lines if "django.security.DisallowedHost" in line]
    assert len(warnings) == 1
    assert "Traceback" not in server.log()


async def echo_application(scope, receive, send):
    """Accepts, sends each text frame back, ends at the disconnect."""
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            return


def client_from(limits, address):
    client = WebsocketCommunicator(limits, "/ws/")
    client.scope["client"] = (address, 1234)  # the same dict the application got
    return client


async def test_addresses_without_sockets_are_forgotten():
    limits = ClientLimitMiddleware(
        echo_application,
        max_sockets=2,
        handshake_rate=1000,
        handshake_burst=2,
        rate=1000,
        burst=2,
        cooldown_seconds=0.05,
    )
    for number in range(500):
        client = client_from(limits, f"10.2.{number // 250}.{number % 250}")
        assert (await client.connect())[0]
        await client.send_to(text_data="hi")
        assert await client.receive_from() == "hi"
        await client.disconnect()
    await asyncio.sleep(1.1)  # buckets full again, and a sweep is due
    holder = client_from(limits, "10.3.0.9")
    assert (await holder.connect())[0]
    assert len(limits.clients) == 1  # the 500 others were forgotten
    # Over the socket cap: remembered while it matters, then forgotten.
    busy = [client_from(limits, "10.3.0.1") for _ in range(3)]
    assert (await busy[0].connect())[0] and (await busy[1].connect())[0]
    assert not (await busy[2].connect())[0]
    for client in busy[:2]:
        await client.disconnect()
    await asyncio.sleep(1.1)  # buckets full again, and a sweep is due
    client = client_from(limits, "10.3.0.2")
    assert (await client.connect())[0]
    assert set(limits.clients) == {"10.3.0.9", "10.3.0.2"}
    await client.disconnect()
    await asyncio.sleep(0.01)  # its buckets refill
    limits.sweep(time.monotonic())
    assert set(limits.clients) == {"10.3.0.9"}  # it holds a socket
    await holder.disconnect()
    await asyncio.sleep(0.01)
    limits.sweep(time.monotonic())
    assert limits.clients == {}
