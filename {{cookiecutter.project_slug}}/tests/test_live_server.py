"""End to end: the project under a real daphne, driven by a real websocket client."""

import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

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
