"""A proxy left out of SERVER_FORWARDED_ALLOW_IPS is named once, on a real
`manage.py serve` that does not trust 127.0.0.1 (realtime_kit/proxies.py).

Measured before the fix: behind such a proxy one abuser's cooldown refused 5 of
10 other users for 10 s, and nothing said why.
"""

import urllib.request

import pytest
from websockets.asyncio.client import connect

from tests.live_server import LiveServer

pytestmark = pytest.mark.live

WARNING = "is not in SERVER_FORWARDED_ALLOW_IPS"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(
        tmp_path_factory.mktemp("serve") / "serve.log",
        env={"SERVER_FORWARDED_ALLOW_IPS": "10.9.9.9"},
        server="serve",
    )
    live.start()
    yield live
    live.stop()


def get(server, path, headers):
    request = urllib.request.Request(server.http_url + path, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


async def test_a_forwarded_request_from_an_untrusted_peer_is_named_once(server):
    assert get(server, "/", {}) == 200
    assert WARNING not in server.log()  # no proxy, nothing to say
    for number in range(3):
        assert get(server, "/", {"X-Forwarded-For": f"10.26.0.{number}"}) == 200
    async with connect(
        f"{server.ws_url}/ws/echo/",
        origin=server.origin,
        additional_headers={"X-Forwarded-For": "10.26.1.1"},
    ) as socket:
        await socket.send("hi")
        assert await socket.recv() == "hi"
    lines = [line for line in server.log().splitlines() if WARNING in line]
    assert len(lines) == 1
    assert " WARNING realtime_kit.proxies A request from 127.0.0.1 " in lines[0]
