"""What an unauthenticated client can make the server log, on a real
`manage.py serve`: bounded (realtime_kit/client_limits.py, log_filters.py).

Issue 22 measured, before: every handshake refused during a client's cooldown
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

COOLDOWN = 1.5
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


async def test_invalid_utf8_is_one_warning_and_a_cooldown(server):
    address = "10.25.0.1"
    for _ in range(2):
        try:
            async with echo(server, address) as socket:
                await socket.send(b"\xff\xfe", text=True)
                with pytest.raises(ConnectionClosedError) as closed:
                    await asyncio.wait_for(socket.recv(), 5)
                assert closed.value.rcvd.code == 1007
        except InvalidStatus:  # the second: refused, cooling down
            pass
    lines = lines_with(server, "Invalid UTF-8 sequence")
    assert len(lines) == 1
    assert " WARNING uvicorn.error " in lines[0]
    assert "UnicodeDecodeError" in lines[0]
    assert "Traceback" not in server.log()
    # uvicorn's other lines keep their level.
    assert lines_with(server, "INFO uvicorn.error Uvicorn running on")
    await asyncio.sleep(COOLDOWN)


async def test_refusals_in_a_cooldown_are_one_line_then_a_count(server):
    address = "10.25.0.2"
    async with echo(server, address) as socket:
        await socket.send(b"\xff", text=True)
        with pytest.raises(ConnectionClosedError):
            await asyncio.wait_for(socket.recv(), 5)
    refused = 0
    for _ in range(40):
        try:
            async with echo(server, address):
                pass
        except InvalidStatus:
            refused += 1
    assert refused == 40
    lines = lines_with(server, f"client {address} ")
    print(f"log lines for {refused} refused handshakes: {len(lines)}")
    assert len(lines) == 1
    assert "cooling down" in lines[0]
    # Once the cooldown is over, the address is forgotten at the next sweep
    # (any client's handshake) and the refusals left out are counted.
    await asyncio.sleep(COOLDOWN + 1.1)
    async with echo(server, "10.25.0.3"):
        pass
    summary = lines_with(server, f"client {address} had 39 more handshakes refused")
    assert len(summary) == 1
