"""Two daphne processes sharing one real Redis: chat crosses processes, both ways.

Run for both Redis layers: the queue-based one and pub/sub.
"""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect


@pytest.fixture(params=["redis", "redis-pubsub"])
def two_servers(request, baked, daphne, redis_url):
    project = baked(request.param)
    return daphne(project, REDIS_URL=redis_url), daphne(project, REDIS_URL=redis_url)


def websocket(server, path):
    return connect(f"{server.ws_url}{path}", origin=server.origin, open_timeout=10)


async def receive_message(socket):
    """The next chat message's text; chat.presence frames are passed over."""
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
        if frame["type"] != "chat.presence":
            return frame["message"]


async def only_presence_arrives(socket, seconds):
    """Whether nothing but chat.presence frames arrives within `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        try:
            frame = json.loads(await asyncio.wait_for(socket.recv(), left))
        except TimeoutError:
            return True
        if frame["type"] != "chat.presence":
            return False
    return True


async def test_a_message_reaches_members_on_the_other_process_both_ways(two_servers):
    first, second = two_servers
    async with (
        websocket(first, "/ws/chat/shared/") as on_first,
        websocket(second, "/ws/chat/shared/") as on_second,
        websocket(second, "/ws/chat/other/") as elsewhere,
    ):
        await on_first.send(json.dumps({"message": "from the first"}))
        assert await receive_message(on_second) == "from the first"
        assert await receive_message(on_first) == "from the first"

        await on_second.send(json.dumps({"message": "from the second"}))
        assert await receive_message(on_first) == "from the second"
        assert await receive_message(on_second) == "from the second"

        assert await only_presence_arrives(elsewhere, 0.3)
