"""A websocket path with an empty segment has no route, on a real `manage.py serve`:
403 and one WARNING line (realtime_kit/route_not_found.py).

Before this test: `//ws/echo/` was routed to the echo consumer.
"""

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.live_server import LiveServer

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("serve") / "serve.log", server="serve")
    live.start()
    yield live
    live.stop()


@pytest.mark.parametrize("path", ["//ws/echo/", "/ws//echo/", "/ws/echo//"])
async def test_a_path_with_an_empty_segment_is_not_found(server, path):
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(server.ws_url + path, origin=server.origin):
            pass
    assert refusal.value.response.status_code == 403
    lines = [line for line in server.log().splitlines() if repr(path) in line]
    assert len(lines) == 1
    expected = "WARNING realtime_kit.route_not_found Websocket refused: no route"
    assert expected in lines[0]


async def test_the_path_itself_still_works(server):
    async with connect(server.ws_url + "/ws/echo/", origin=server.origin) as socket:
        await socket.send("hi")
        assert await socket.recv() == "hi"
