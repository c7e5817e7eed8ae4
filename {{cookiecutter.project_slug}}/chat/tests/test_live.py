"""Chat on a real daphne: two real sockets, bad frames, the pages."""

import json
import urllib.request

import pytest
from websockets.asyncio.client import connect

from tests.sockets import receive_chat

pytestmark = pytest.mark.live


def chat_socket(server, room):
    return connect(f"{server.ws_url}/ws/chat/{room}/", origin=server.origin)


async def test_two_real_sockets_talk(daphne_server):
    async with (
        chat_socket(daphne_server, "live") as alice,
        chat_socket(daphne_server, "live") as bob,
    ):
        await alice.send(json.dumps({"message": "over the wire"}))
        for socket in (alice, bob):
            assert (await receive_chat(socket))["message"] == "over the wire"


@pytest.mark.parametrize(
    "bad_frame",
    ["not json", b"\x00", "", "[" * 10_000 + "]" * 10_000],
    ids=["text", "binary", "empty", "nested-10000-deep"],
)
async def test_a_bad_frame_gets_an_error_and_the_socket_lives_on(
    daphne_server, bad_frame
):
    async with chat_socket(daphne_server, "errors") as socket:
        await socket.send(bad_frame)
        assert (await receive_chat(socket))["type"] == "error"
        await socket.send(json.dumps({"message": "fine"}))
        assert (await receive_chat(socket))["message"] == "fine"
    assert "Traceback" not in daphne_server.log()


@pytest.mark.parametrize("path", ["/chat/", "/chat/lobby/"])
def test_the_pages_are_served(daphne_server, path):
    with urllib.request.urlopen(daphne_server.http_url + path, timeout=10) as response:
        assert response.status == 200
