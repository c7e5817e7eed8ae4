"""A client of /ws/tasks/ for live tests. It imports nothing of this project:
the template's own tests use it on baked projects."""

import asyncio
import json

from websockets.asyncio.client import connect


def tasks_socket(server, cookie, address=None):
    """A socket as the /tasks/ page opens it: with the page's session cookie, from
    `address` if given (as X-Forwarded-For, which `manage.py serve` believes)."""
    headers = {"Cookie": cookie} | ({"X-Forwarded-For": address} if address else {})
    return connect(
        f"{server.ws_url}/ws/tasks/",
        origin=server.origin,
        open_timeout=10,
        additional_headers=headers,
    )


async def receive_json(socket, seconds=10):
    return json.loads(await asyncio.wait_for(socket.recv(), seconds))


async def send_json(socket, content):
    await socket.send(json.dumps(content))


async def start(socket, steps):
    await send_json(socket, {"action": "start", "steps": steps})
    started = await receive_json(socket)
    assert started["type"] == "task.started", started
    return started["task_id"]


async def receive_until(socket, task_id, step=None):
    """The job's messages up to its end, or up to `step`."""
    messages = []
    while not messages or messages[-1]["type"] == "task.progress":
        messages.append(await receive_json(socket))
        assert messages[-1]["task_id"] == task_id, messages[-1]
        if step is not None and messages[-1].get("step", 0) >= step:
            break
    return messages


def steps_of(messages):
    return [m["step"] for m in messages if m["type"] == "task.progress"]
