"""What an unauthenticated client can make the server log, on a real
`manage.py serve`: bounded (realtime_kit/client_limits.py, log_filters.py).

Measured before the fix: every handshake refused during a client's cooldown
logged a line (623 KiB/s from one address); each text frame that is not UTF-8
logged an ERROR with a traceback.
"""

import asyncio
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from tests.live_server import LiveServer

pytestmark = pytest.mark.live

COOLDOWN = 5.0
CAPS = {
    "WEBSOCKET_CLIENT_HANDSHAKE_RATE": "1000",
    "WEBSOCKET_CLIENT_HANDSHAKE_BURST": "1000",
    "WEBSOCKET_CLIENT_COOLDOWN_SECONDS": str(COOLDOWN),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(
        tmp_path_factory.mktemp("serve") / "serve.log", env=CAPS, server="serve"
    )
    live.start()
    yield live
    live.stop()


def echo(server, address):
    return connect(
        f"{server.ws_url}/ws/echo/",
        origin=server.origin,
        additional_headers={"X-Forwarded-For": address},
        open_timeout=5,
    )


def lines_with(server, text, expected=1, seconds=3):
    deadline = time.monotonic() + seconds
    while True:
        lines = [line for line in server.log().splitlines() if text in line]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


async def send_invalid_utf8(server, address):
    async with echo(server, address) as socket:
        await socket.send(b"\xff\xfe", text=True)
        with pytest.raises(ConnectionClosedError) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd.code == 1007


async def refused(server, address):
    try:
        async with echo(server, address):
            return False
    except InvalidStatus:
        return True


async def first_refusal(server, address, seconds=3):
    """How many handshakes got through before the server's cooldown began (the
    application hears of the 1007 a moment after the client)."""
    through = 0
    deadline = time.monotonic() + seconds
    while not await refused(server, address):
        through += 1
        assert time.monotonic() < deadline, "no cooldown after a 1007"
        await asyncio.sleep(0.02)
    return through


async def test_invalid_utf8_is_one_warning_and_a_cooldown(server):
    await send_invalid_utf8(server, "10.25.0.1")
    await first_refusal(server, "10.25.0.1")
    lines = lines_with(server, "Invalid UTF-8 sequence")
    assert len(lines) == 1
    assert " WARNING uvicorn.error " in lines[0]
    assert "UnicodeDecodeError" in lines[0]
    assert "Traceback" not in server.log()
    # uvicorn's other lines keep their level.
    assert lines_with(server, "INFO uvicorn.error Uvicorn running on")


async def test_refusals_in_a_cooldown_are_one_line_then_a_count(server):
    address = "10.25.0.2"
    await send_invalid_utf8(server, address)
    await first_refusal(server, address)
    results = [await refused(server, address) for _ in range(20)]
    assert all(results)
    lines = lines_with(server, f"client {address} ")
    print(f"log lines for 21 refused handshakes: {len(lines)}")
    assert len(lines) == 1
    assert "cooling down" in lines[0]
    # Once the cooldown is over, the address is forgotten at the next sweep
    # (any client's handshake) and the refusals left out are counted.
    await asyncio.sleep(COOLDOWN + 1.1)
    async with echo(server, "10.25.0.3"):
        pass
    summary = lines_with(server, f"client {address} had 20 more handshakes refused")
    assert len(summary) == 1
