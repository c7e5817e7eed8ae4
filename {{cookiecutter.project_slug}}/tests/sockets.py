"""Helpers for tests that talk to a live server through a real websocket client."""

import asyncio
import json

import pytest
from websockets.exceptions import ConnectionClosed


async def close_code(socket):
    """The code the server closed `socket` with, reading whatever came before."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(socket.recv(), timeout=10)
    return closed.value.rcvd.code


async def receive_json(socket, seconds=5):
    return json.loads(await asyncio.wait_for(socket.recv(), seconds))
