"""Long tasks on a real daphne: a job to the end, bad frames, the page."""

import json
import urllib.request

import pytest
from websockets.asyncio.client import connect

from tests.sockets import receive_json, session_cookie_from

pytestmark = pytest.mark.live


def tasks_socket(server):
    """A socket as the /tasks/ page opens it: with the page's session cookie."""
    return connect(
        f"{server.ws_url}/ws/tasks/",
        origin=server.origin,
        additional_headers={"Cookie": session_cookie_from(server)},
    )


async def test_a_job_reports_every_step_then_done(daphne_server):
    async with tasks_socket(daphne_server) as socket:
        await socket.send(json.dumps({"action": "start", "steps": 3}))
        started = await receive_json(socket)
        assert started["type"] == "task.started"
        rest = [await receive_json(socket) for _ in range(4)]
    assert [(m["type"], m.get("step")) for m in rest] == [
        ("task.progress", 1),
        ("task.progress", 2),
        ("task.progress", 3),
        ("task.done", None),
    ]
    assert {m["task_id"] for m in rest} == {started["task_id"]}


@pytest.mark.parametrize(
    "bad_frame",
    ['{"action": "start", "steps": 0}', b"{}", "", "[" * 10_000 + "]" * 10_000],
    ids=["bad-steps", "binary", "empty", "nested-10000-deep"],
)
async def test_a_bad_frame_gets_an_error_and_the_socket_lives_on(
    daphne_server, bad_frame
):
    async with tasks_socket(daphne_server) as socket:
        await socket.send(bad_frame)
        assert (await receive_json(socket))["type"] == "error"
        await socket.send(json.dumps({"action": "start", "steps": 1}))
        assert (await receive_json(socket))["type"] == "task.started"
    assert "Traceback" not in daphne_server.log()


def test_the_page_is_served(daphne_server):
    url = daphne_server.http_url + "/tasks/"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
