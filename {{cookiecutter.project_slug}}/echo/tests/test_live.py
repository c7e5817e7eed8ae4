"""Echo on a real daphne, with the stack's limits on every socket."""

import asyncio

import pytest
from django.conf import settings
from websockets.asyncio.client import connect

from tests.sockets import close_code

pytestmark = pytest.mark.live


def echo_socket(server, **options):
    return connect(f"{server.ws_url}/ws/echo/", origin=server.origin, **options)


async def test_text_and_bytes_come_back_in_kind(daphne_server):
    async with echo_socket(daphne_server) as socket:
        await socket.send("text")
        assert await socket.recv() == "text"
        await socket.send(b"\x01\x02")
        assert await socket.recv() == b"\x01\x02"


async def test_a_flooding_client_is_closed_and_a_bystander_carries_on(daphne_server):
    async with (
        echo_socket(daphne_server) as flooder,
        echo_socket(daphne_server) as other,
    ):
        for number in range(settings.WEBSOCKET_RATE_BURST * 5):
            await flooder.send(str(number))
        assert await close_code(flooder) == 4008
        await other.send("still served")
        assert await asyncio.wait_for(other.recv(), timeout=5) == "still served"
    log = daphne_server.log()
    assert log.count("Websocket closed (4008)") == 1
    assert "Traceback" not in log
