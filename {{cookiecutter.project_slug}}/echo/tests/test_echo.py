"""The echo consumer sends every frame back, in kind."""

import pytest

from tests.clients import open_websocket

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


async def test_text_comes_back_as_text():
    async with open_websocket("/ws/echo/") as client:
        await client.send_to(text_data="héllo")
        assert await client.receive_output() == {
            "type": "websocket.send",
            "text": "héllo",
        }


async def test_binary_comes_back_as_binary():
    async with open_websocket("/ws/echo/") as client:
        await client.send_to(bytes_data=b"\x00\xffdata")
        assert await client.receive_output() == {
            "type": "websocket.send",
            "bytes": b"\x00\xffdata",
        }


async def test_many_frames_come_back_in_order():
    async with open_websocket("/ws/echo/") as client:
        for number in range(20):
            await client.send_to(text_data=str(number))
        replies = [await client.receive_from() for _ in range(20)]
        assert replies == [str(number) for number in range(20)]
