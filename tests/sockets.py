"""Helpers for the live tests' websocket clients."""

import asyncio


async def nothing_arrives(socket, seconds=0.3):
    """Whether `socket` stays silent for `seconds`."""
    try:
        await asyncio.wait_for(socket.recv(), seconds)
    except TimeoutError:
        return True
    return False
