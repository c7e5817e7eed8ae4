"""Helpers for tests that talk to a live server through a real websocket client."""

import asyncio
import json
import urllib.request

import pytest
from django.conf import settings
from websockets.exceptions import ConnectionClosed


async def close_code(socket):
    """The code the server closed `socket` with, reading whatever came before."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(socket.recv(), timeout=10)
    return closed.value.rcvd.code


async def receive_json(socket, seconds=5):
    return json.loads(await asyncio.wait_for(socket.recv(), seconds))


async def receive_chat(socket, seconds=5):
    """The next frame of a chat socket other than chat.presence (who is in the room)."""
    while (frame := await receive_json(socket, seconds))["type"] == "chat.presence":
        pass
    return frame


def session_cookie_from(server, path="/tasks/"):
    """The session cookie a browser gets from a page of a live server."""
    with urllib.request.urlopen(server.http_url + path, timeout=10) as response:
        for header in response.headers.get_all("Set-Cookie") or ():
            if header.startswith(f"{settings.SESSION_COOKIE_NAME}="):
                return header.partition(";")[0]
    raise AssertionError(f"{path} set no session cookie")
