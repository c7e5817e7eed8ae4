"""Long tasks: progress, jobs outliving their socket, watch, cancel, limits, errors."""

import asyncio
import logging

import pytest
from channels.layers import get_channel_layer
from channels.testing import ApplicationCommunicator
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tasks import runner as runner_module
from tasks import state, updates
from tasks.ids import new_task_id
from tasks.owners import session_owner
from tasks.runner import JobRunner, runner
from tasks.worker import TASK_WORKER_CHANNEL, TaskWorkerConsumer
from tests.clients import open_websocket

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)

FINAL = {"task.done", "task.cancelled", "task.failed"}


def owner_of(cookie):
    """The owner a socket with this session cookie gets."""
    return session_owner(cookie.decode().partition("=")[2])


async def receive_until_final(client, task_id):
    """Messages of `task_id` up to and including its final one."""
    messages = []
    while True:
        message = await client.receive_json_from(timeout=5)
        if message.get("task_id") == task_id:
            messages.append(message)
            if message["type"] in FINAL:
                return messages


async def start(client, steps):
    await client.send_json_to({"action": "start", "steps": steps})
    started = await client.receive_json_from()
    assert started["type"] == "task.started", started
    return started["task_id"]


async def receive_progress(client, task_id, at_least):
    while True:
        message = await client.receive_json_from(timeout=5)
        if message["task_id"] == task_id and message.get("step", 0) >= at_least:
            return message


def steps_of(messages):
    return [m["step"] for m in messages if m["type"] == "task.progress"]


async def test_a_job_reports_start_every_step_and_done(browser):
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        await client.send_json_to({"action": "start", "steps": 3})
        started = await client.receive_json_from()
        assert started["type"] == "task.started"
        assert started["total"] == 3
        task_id = started["task_id"]
        assert await receive_until_final(client, task_id) == [
            {"type": "task.progress", "task_id": task_id, "step": 1, "total": 3},
            {"type": "task.progress", "task_id": task_id, "step": 2, "total": 3},
            {"type": "task.progress", "task_id": task_id, "step": 3, "total": 3},
            {"type": "task.done", "task_id": task_id},
        ]
        assert await client.receive_nothing(timeout=0.05)


async def test_two_jobs_run_side_by_side_with_their_own_ids(browser):
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
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


async def test_a_job_outlives_its_socket_and_a_new_socket_watches_it_finish(browser):
    # Long enough (2 s) to outlive a slow disconnect on a loaded machine.
    async with open_websocket("/ws/tasks/", cookie=browser) as starter:
        task_id = await start(starter, 200)
        await receive_progress(starter, task_id, 2)
    assert task_id in runner.running
    async with open_websocket("/ws/tasks/", cookie=browser) as watcher:
        await watcher.send_json_to({"action": "watch", "task_id": task_id})
        now = await watcher.receive_json_from()
        assert now["type"] == "task.progress"
        assert now["step"] >= 2
        rest = await receive_until_final(watcher, task_id)
    steps = [now["step"], *steps_of(rest)]
    assert steps == list(range(now["step"], 201))
    assert rest[-1] == {"type": "task.done", "task_id": task_id}


async def test_watching_a_finished_task_answers_done_and_nothing_else(browser):
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        task_id = await start(client, 1)
        await receive_until_final(client, task_id)
        await client.send_json_to({"action": "watch", "task_id": task_id})
        assert await client.receive_json_from() == updates.done(task_id)
        assert await client.receive_nothing(timeout=0.05)


async def test_watching_twice_on_one_socket_sends_no_duplicates(settings, browser):
    settings.TASK_STEP_SECONDS = 0.02
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        task_id = await start(client, 10)
        for _ in range(3):
            await client.send_json_to({"action": "watch", "task_id": task_id})
        messages = await receive_until_final(client, task_id)
    steps = steps_of(messages)
    # Each watch answers a snapshot that may repeat the last step sent, never
    # an older one; live updates already covered by a snapshot are dropped.
    assert steps == sorted(steps)
    assert set(range(1, 11)) <= set(steps)
    assert len(steps) <= 10 + 3


async def test_a_cancel_reaches_the_canceller_and_every_watcher_and_stops_the_job(
    browser,
):
    async with (
        open_websocket("/ws/tasks/", cookie=browser) as starter,
        open_websocket("/ws/tasks/", cookie=browser) as canceller,
    ):
        task_id = await start(starter, 500)
        await receive_progress(starter, task_id, 1)
        await canceller.send_json_to({"action": "watch", "task_id": task_id})
        assert (await canceller.receive_json_from())["type"] == "task.progress"
        await canceller.send_json_to({"action": "cancel", "task_id": task_id})
        cancelled = updates.cancelled(task_id)
        assert (await receive_until_final(canceller, task_id))[-1] == cancelled
        assert (await receive_until_final(starter, task_id))[-1] == cancelled
        await asyncio.sleep(0.05)
        assert task_id not in runner.running
        for client in (starter, canceller):
            assert await client.receive_nothing(timeout=0.05)
        await canceller.send_json_to({"action": "watch", "task_id": task_id})
        assert await canceller.receive_json_from() == cancelled


async def test_a_job_running_in_another_process_stops_within_a_step_of_a_cancel(
    browser,
):
    """The shared cancel flag, not a local asyncio cancel, stops the job."""
    other_process = JobRunner()
    task_id = new_task_id()
    await state.save_state(updates.progress(task_id, 0, 500))
    await state.add_task(owner_of(browser), task_id, [])
    other_process.start(task_id, 500)
    await state.beat([task_id])
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        await client.send_json_to({"action": "watch", "task_id": task_id})
        await receive_progress(client, task_id, 2)
        await client.send_json_to({"action": "cancel", "task_id": task_id})
        messages = await receive_until_final(client, task_id)
        assert messages[-1] == updates.cancelled(task_id)
        job = other_process.running[task_id]
        await asyncio.wait_for(job, timeout=1)
        assert await client.receive_nothing(timeout=0.05)
    latest = await state.load_state(task_id, owner_of(browser))
    assert latest["type"] == "task.cancelled"


async def test_cancelling_a_finished_task_answers_its_final_state(browser):
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        task_id = await start(client, 1)
        await receive_until_final(client, task_id)
        await client.send_json_to({"action": "cancel", "task_id": task_id})
        assert await client.receive_json_from() == updates.done(task_id)


async def test_a_failing_job_reports_task_failed(monkeypatch, browser):
    async def broken_work(step):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(runner_module, "simulated_work", broken_work)
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        task_id = await start(client, 3)
        messages = await receive_until_final(client, task_id)
    assert messages == [updates.failed(task_id, "the job failed")]


async def test_a_process_runs_at_most_task_max_running_jobs(settings, browser):
    settings.TASK_MAX_RUNNING = 1
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        task_id = await start(client, 100)
        await client.send_json_to({"action": "start", "steps": 1})
        reply = await client.receive_json_from()
        assert reply == {"type": "error", "error": reply["error"]}
        assert "(TASK_MAX_RUNNING)" in reply["error"]
        await client.send_json_to({"action": "cancel", "task_id": task_id})
        await receive_until_final(client, task_id)
        await asyncio.sleep(0.01)
        await start(client, 1)


async def test_a_socket_follows_at_most_task_max_followed_tasks(settings, browser):
    settings.TASK_MAX_FOLLOWED = 1
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        await start(client, 100)
        await client.send_json_to({"action": "start", "steps": 1})
        reply = await client.receive_json_from()
        assert reply["type"] == "error"
        assert "follows 1 tasks" in reply["error"]


async def test_state_expires_after_task_state_seconds(settings, browser):
    settings.TASK_STATE_SECONDS = 0.05
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        task_id = await start(client, 1)
        await receive_until_final(client, task_id)
        await asyncio.sleep(0.1)
        await client.send_json_to({"action": "watch", "task_id": task_id})
        assert (await client.receive_json_from())["type"] == "error"


async def test_worker_mode_sends_the_job_to_the_worker_channel(settings, browser):
    # What the consumer hands over, on a layer that keeps a message for a
    # reader that is not listening yet (the pub/sub layer does not).
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    }
    settings.TASK_RUNNER = "worker"
    worker = ApplicationCommunicator(
        TaskWorkerConsumer.as_asgi(), {"type": "channel", "channel": "tasks"}
    )
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        task_id = await start(client, 2)
        assert task_id not in runner.running
        job = await get_channel_layer().receive(TASK_WORKER_CHANNEL)
        assert job == {"type": "task.run", "task_id": task_id, "total": 2}
        await worker.send_input(job)
        messages = await receive_until_final(client, task_id)
    assert steps_of(messages) == [1, 2]
    assert messages[-1] == updates.done(task_id)
    worker.stop()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ({"text_data": "{oops"}, "the frame is not valid JSON"),
        ({"text_data": '"start"'}, "expected a JSON object"),
        ({"bytes_data": b"{}"}, "expected a JSON object in a text frame"),
        ({"text_data": "[" * 10_000 + "]" * 10_000}, "the frame is not valid JSON"),
        ({"text_data": '{"action": "stop"}'}, "unknown action 'stop'"),
        ({"text_data": "{}"}, "unknown action None"),
        ({"text_data": '{"action": "start", "steps": 0}'}, '"steps" must be'),
        ({"text_data": '{"action": "start", "steps": 1001}'}, '"steps" must be'),
        ({"text_data": '{"action": "start", "steps": 1e9}'}, '"steps" must be'),
        ({"text_data": '{"action": "start", "steps": 2.5}'}, '"steps" must be'),
        ({"text_data": '{"action": "start", "steps": "3"}'}, '"steps" must be'),
        ({"text_data": '{"action": "start", "steps": true}'}, '"steps" must be'),
        ({"text_data": '{"action": "start"}'}, '"steps" must be'),
        ({"text_data": '{"action": "watch"}'}, '"task_id" must be'),
        ({"text_data": '{"action": "cancel"}'}, '"task_id" must be'),
        ({"text_data": '{"action": "watch", "task_id": 7}'}, '"task_id" must be'),
        (
            {"text_data": '{"action": "watch", "task_id": "../caf\u00e9"}'},
            '"task_id" must be',
        ),
        (
            {"text_data": '{"action": "watch", "task_id": "' + "0" * 32 + '"}'},
            "unknown task_id",
        ),
        (
            {"text_data": '{"action": "cancel", "task_id": "' + "f" * 32 + '"}'},
            "unknown task_id",
        ),
    ],
    ids=[
        "not-json",
        "not-object",
        "binary",
        "nested-10000-deep",
        "unknown-action",
        "no-action",
        "zero",
        "huge",
        "exponent",
        "float",
        "string",
        "boolean",
        "missing",
        "watch-no-id",
        "cancel-no-id",
        "id-not-string",
        "id-not-hex",
        "watch-unknown-id",
        "cancel-unknown-id",
    ],
)
async def test_invalid_frames_get_an_error_and_the_socket_stays_open(
    frame, error, caplog, browser
):
    caplog.set_level(logging.INFO)
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        await client.send_to(**frame)
        reply = await client.receive_json_from()
        assert reply["type"] == "error"
        assert reply["error"].startswith(error)
        await client.send_json_to({"action": "start", "steps": 1})
        assert (await client.receive_json_from())["type"] == "task.started"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    ("task_runner", "layer", "error_id"),
    [
        ("celery", "channels_redis.core.RedisChannelLayer", "tasks.E001"),
        ("worker", "channels.layers.InMemoryChannelLayer", "tasks.E002"),
        ("worker", "channels_redis.pubsub.RedisPubSubChannelLayer", "tasks.E002"),
    ],
    ids=["unknown-runner", "worker-in-memory", "worker-pubsub"],
)
def test_checks_refuse_a_task_runner_that_cannot_work(
    settings, task_runner, layer, error_id
):
    settings.TASK_RUNNER = task_runner
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": layer}}
    with pytest.raises(SystemCheckError, match=error_id):
        call_command("check")


async def test_a_job_whose_process_stopped_is_reported_lost(settings, browser):
    settings.TASK_HEARTBEAT_SECONDS = 0.05
    stopped_process = JobRunner()
    task_id = new_task_id()
    await state.save_state(updates.progress(task_id, 0, 500))
    await state.add_task(owner_of(browser), task_id, [])
    stopped_process.start(task_id, 500)
    await asyncio.sleep(0.05)
    await stopped_process.cancel_all()  # as if its process had been killed
    await asyncio.sleep(0.2)  # three heartbeats missed
    async with open_websocket("/ws/tasks/", cookie=browser) as client:
        await client.send_json_to({"action": "watch", "task_id": task_id})
        assert await client.receive_json_from() == updates.lost(task_id)


async def test_a_job_whose_cache_fails_stops_with_one_error_line(monkeypatch, caplog):
    async def cache_down(message):
        raise ConnectionError("Connection refused")

    task_id = new_task_id()
    await state.save_state(updates.progress(task_id, 0, 3))
    monkeypatch.setattr(state, "save_state", cache_down)
    job_runner = JobRunner()
    job_runner.start(task_id, 3)
    await asyncio.wait_for(job_runner.running[task_id], timeout=5)
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.levelname == "ERROR"
    assert "ConnectionError: Connection refused" in record.getMessage()
    assert record.exc_info is None
    await job_runner.cancel_all()


async def test_a_job_stops_even_when_a_cache_call_swallows_its_cancellation(
    monkeypatch,
):
    """asgiref finishes a running sync_to_async call and drops the cancellation."""
    saved = []

    async def save_state_as_asgiref_would(message):
        try:
            await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            await asyncio.sleep(0.01)  # the thread finishes; the cancel is lost
        saved.append(message["type"])

    monkeypatch.setattr(state, "save_state", save_state_as_asgiref_would)
    job_runner = JobRunner()
    job_runner.start(new_task_id(), 500)
    await asyncio.sleep(0.1)
    await asyncio.wait_for(job_runner.cancel_all(), timeout=1)
    assert job_runner.running == {}
    assert "task.done" not in saved
