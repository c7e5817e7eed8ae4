"""/readyz answers at once while websockets are open, on the Redis layers, under a
real `manage.py serve` and a private redis-server.

It once took a channel of its own prefix, which waited behind channels-redis's
shared receive lock whenever any socket was open: /readyz then failed after
CHECK_SECONDS, and orchestrators restarted healthy servers.
"""

import asyncio
import json
import time
import urllib.request

import pytest
from websockets.asyncio.client import connect

from tests.redis_server import RedisServer, live_server_on
from tests.sockets import receive_chat

pytestmark = pytest.mark.live


@pytest.fixture
def server(tmp_path):
    redis_server = RedisServer(tmp_path).start()
    live = live_server_on(redis_server, tmp_path / "serve.log")
    live.server = "serve"
    live.start()
    yield live
    live.stop()
    redis_server.stop()


def readyz(server):
    """(status, body, seconds) of one GET /readyz."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(server.http_url + "/readyz", timeout=10) as answer:
            status, body = answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        status, body = error.code, json.loads(error.read())
    return status, body, time.monotonic() - started


async def test_readyz_answers_quickly_while_sockets_are_open(server):
    sockets = [
        await connect(f"{server.ws_url}/ws/chat/ready{n % 2}/", origin=server.origin)
        for n in range(6)
    ]
    try:
        await sockets[0].send(json.dumps({"message": "hello"}))
        for socket in sockets[:3:2]:
            assert (await receive_chat(socket))["message"]
        for _ in range(5):
            status, body, seconds = await asyncio.to_thread(readyz, server)
            assert (status, body) == (200, {"status": "ready"}), server.log()
            assert seconds < 1.0, f"/readyz took {seconds:.2f} s"
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets))
    assert "Not ready" not in server.log()
