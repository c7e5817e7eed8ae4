"""Helpers for the live tests' websocket clients."""

import asyncio
import urllib.request


async def nothing_arrives(socket, seconds=0.3):
    """Whether `socket` stays silent for `seconds`."""
    try:
        await asyncio.wait_for(socket.recv(), seconds)
    except TimeoutError:
        return True
    return False


def session_cookie_from(server, path="/tasks/"):
    """The session cookie a browser gets from a page of a live server."""
    with urllib.request.urlopen(server.http_url + path, timeout=10) as response:
        for header in response.headers.get_all("Set-Cookie") or ():
            if header.startswith("sessionid="):
                return header.partition(";")[0]
    raise AssertionError(f"{path} set no session cookie")
