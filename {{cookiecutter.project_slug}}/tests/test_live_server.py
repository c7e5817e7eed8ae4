"""End to end: the project under a real daphne, driven by a real websocket client."""

import asyncio
import json

import pytest
from django.conf import settings
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.live_server import LiveServer

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("daphne") / "daphne.log")
    live.start()
    yield live
    live.stop()


async def test_echo_over_a_real_socket(server):
    async with connect(f"{server.ws_url}/ws/echo/", origin=server.origin) as socket:
        await socket.send("text")
        assert await socket.recv() == "text"
        await socket.send(b"\x01\x02")
        assert await socket.recv() == b"\x01\x02"


async def test_chat_between_two_real_sockets(server):
    url = f"{server.ws_url}/ws/chat/live/"
    async with (
        connect(url, origin=server.origin) as alice,
        connect(url, origin=server.origin) as bob,
    ):
        await alice.send(json.dumps({"message": "over the wire"}))
        for socket in (alice, bob):
            assert json.loads(await socket.recv())["message"] == "over the wire"


async def test_a_foreign_origin_gets_403(server):
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{server.ws_url}/ws/echo/", origin="http://evil.example"):
            pass
    assert refused.value.response.status_code == 403


async def test_an_unknown_path_gets_403_and_one_warning_without_traceback(server):
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{server.ws_url}/ws/scanner-probe/", origin=server.origin):
            pass
    assert refused.value.response.status_code == 403
    log = server.log()
    assert "WARNING" in log
    assert "/ws/scanner-probe/" in log
    assert "Traceback" not in log
    assert " ERROR " not in log


async def close_code(socket):
    """The code the server closed `socket` with, reading whatever came before."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(socket.recv(), timeout=10)
    return closed.value.rcvd.code


async def test_a_flooding_client_is_closed_and_everyone_else_carries_on(server):
    chat_url = f"{server.ws_url}/ws/chat/flood/"
    echo_url = f"{server.ws_url}/ws/echo/"
    async with (
        connect(chat_url, origin=server.origin) as flooder,
        connect(chat_url, origin=server.origin) as member,
        connect(echo_url, origin=server.origin) as bystander,
    ):
        for number in range(settings.WEBSOCKET_RATE_BURST * 5):
            await flooder.send(json.dumps({"message": f"flood {number}"}))
        assert await close_code(flooder) == 4008
        # The member got at most the burst, and the room and the server work.
        await member.send(json.dumps({"message": "after the flood"}))
        while True:
            reply = json.loads(await asyncio.wait_for(member.recv(), timeout=5))
            if reply["message"] == "after the flood":
                break
            assert reply["message"].startswith("flood ")
        await bystander.send("still served")
        assert await asyncio.wait_for(bystander.recv(), timeout=5) == "still served"
    assert server.log().count("Websocket closed (4008)") == 1


async def test_an_oversize_message_is_closed_with_4009(server):
    url = f"{server.ws_url}/ws/echo/"
    limit = settings.WEBSOCKET_MAX_MESSAGE_BYTES
    async with connect(url, origin=server.origin, max_size=None) as socket:
        await socket.send(b"x" * limit)
        assert len(await socket.recv()) == limit
        await socket.send(b"x" * (limit + 1))
        assert await close_code(socket) == 4009
    log = server.log()
    assert log.count("Websocket closed (4009)") == 1
    assert "Traceback" not in log
