"""Long tasks: progress for each step, jobs side by side, errors keep the socket."""

import pytest

from tests.clients import open_websocket

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


async def receive_until_done(client, task_id):
    """Messages of `task_id` up to and including its task.done."""
    messages = []
    while True:
        message = await client.receive_json_from(timeout=5)
        if message.get("task_id") == task_id:
            messages.append(message)
            if message["type"] == "task.done":
                return messages


async def test_a_job_reports_start_every_step_and_done():
    async with open_websocket("/ws/tasks/") as client:
        await client.send_json_to({"action": "start", "steps": 3})
        started = await client.receive_json_from()
        assert started["type"] == "task.started"
        assert started["total"] == 3
        task_id = started["task_id"]
        assert await receive_until_done(client, task_id) == [
            {"type": "task.progress", "task_id": task_id, "step": 1, "total": 3},
            {"type": "task.progress", "task_id": task_id, "step": 2, "total": 3},
            {"type": "task.progress", "task_id": task_id, "step": 3, "total": 3},
            {"type": "task.done", "task_id": task_id},
        ]


async def test_two_jobs_run_side_by_side_with_their_own_ids():
    async with open_websocket("/ws/tasks/") as client:
        await client.send_json_to({"action": "start", "steps": 5})
        await client.send_json_to({"action": "start", "steps": 5})
        first = (await client.receive_json_from())["task_id"]
        second = (await client.receive_json_from())["task_id"]
        assert first != second
        steps = {first: [], second: []}
        done = set()
        while done != {first, second}:
            message = await client.receive_json_from(timeout=5)
            if message["type"] == "task.progress":
                steps[message["task_id"]].append(message["step"])
            elif message["type"] == "task.done":
                done.add(message["task_id"])
        assert steps == {first: [1, 2, 3, 4, 5], second: [1, 2, 3, 4, 5]}


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ({"text_data": "{oops"}, "the frame is not valid JSON"),
        ({"text_data": '"start"'}, "expected a JSON object"),
        ({"bytes_data": b"{}"}, "binary frames are not accepted; send JSON text"),
        ({"text_data": '{"action": "stop"}'}, "unknown action 'stop'"),
        ({"text_data": '{"action": "start", "steps": 0}'}, '"steps" must be'),
        ({"text_data": '{"action": "start", "steps": 1001}'}, '"steps" must be'),
        ({"text_data": '{"action": "start", "steps": 2.5}'}, '"steps" must be'),
        ({"text_data": '{"action": "start", "steps": true}'}, '"steps" must be'),
        ({"text_data": '{"action": "start"}'}, '"steps" must be'),
    ],
    ids=[
        "not-json",
        "not-object",
        "binary",
        "unknown-action",
        "zero",
        "huge",
        "float",
        "boolean",
        "missing",
    ],
)
async def test_invalid_frames_get_an_error_and_the_socket_stays_open(frame, error):
    async with open_websocket("/ws/tasks/") as client:
        await client.send_to(**frame)
        reply = await client.receive_json_from()
        assert reply["type"] == "error"
        assert reply["error"].startswith(error)
        await client.send_json_to({"action": "start", "steps": 1})
        assert (await client.receive_json_from())["type"] == "task.started"
