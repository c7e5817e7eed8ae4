"""Long tasks on real servers: jobs outlive sockets and servers, cross processes.

In-memory bake on one daphne; each Redis bake on two daphne processes sharing
a private Redis, with jobs in-process; the queue-based Redis bake also with
jobs in a `manage.py runworker tasks` process (the pub/sub layer refuses it).
"""

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from tests.servers import Runworker
from tests.sockets import nothing_arrives, session_cookie_from

FAST_TASKS = {"TASK_STEP_SECONDS": "0.02"}
FINAL = {"task.done", "task.cancelled", "task.failed"}


# Every socket of a test belongs to one browser: one session, so one task owner.
BROWSER = {}


@pytest.fixture(autouse=True)
def one_browser_per_test():
    BROWSER.clear()
    yield
    BROWSER.clear()


def websocket(server):
    """A socket as the /tasks/ page opens it, with the test's browser cookie."""
    if "cookie" not in BROWSER:
        BROWSER["cookie"] = session_cookie_from(server)
    return connect(
        f"{server.ws_url}/ws/tasks/",
        origin=server.origin,
        open_timeout=10,
        additional_headers={"Cookie": BROWSER["cookie"]},
    )


async def receive_json(socket):
    return json.loads(await asyncio.wait_for(socket.recv(), 5))


async def send_json(socket, content):
    await socket.send(json.dumps(content))


async def start(socket, steps):
    await send_json(socket, {"action": "start", "steps": steps})
    started = await receive_json(socket)
    assert started["type"] == "task.started", started
    return started["task_id"]


async def receive_until(socket, task_id, accept):
    """Messages of `task_id` up to the first that `accept` returns true for."""
    messages = []
    while True:
        message = await receive_json(socket)
        assert message.get("task_id") == task_id, message
        messages.append(message)
        if accept(message):
            return messages


def is_final(message):
    return message["type"] in FINAL


def reached(step):
    return lambda message: is_final(message) or message.get("step", 0) >= step


def assert_clean(*servers):
    for server in servers:
        log = server.log()
        for marker in ("Traceback", " ERROR "):
            assert marker not in log, log[max(0, log.find(marker) - 2000) :][:6000]


async def watch_to_the_end(server, task_id):
    """Watch `task_id` on a new socket: its state at once, then every update."""
    async with websocket(server) as watcher:
        await send_json(watcher, {"action": "watch", "task_id": task_id})
        return await receive_until(watcher, task_id, is_final)


def assert_resumed(messages, from_step, total):
    """A watch began at `from_step` or later, then missed no step up to `total`."""
    assert messages[0]["type"] == "task.progress"
    assert messages[0]["step"] >= from_step
    steps = [m["step"] for m in messages if m["type"] == "task.progress"]
    assert steps == list(range(steps[0], total + 1))


async def test_a_job_outlives_its_socket(baked, daphne):
    server = daphne(baked("in-memory"), **FAST_TASKS)
    async with websocket(server) as starter:
        task_id = await start(starter, 40)
        await receive_until(starter, task_id, reached(3))
    messages = await watch_to_the_end(server, task_id)
    assert_resumed(messages, from_step=3, total=40)
    assert messages[-1] == {"type": "task.done", "task_id": task_id}
    assert_clean(server)


async def cancel_while_running(starting_server, cancelling_server):
    """Start a long job on one server, cancel it from a socket on the other.

    Checks that both sockets hear the cancel, the starter nothing after it;
    returns the cancel message.
    """
    async with (
        websocket(starting_server) as starter,
        websocket(cancelling_server) as canceller,
    ):
        task_id = await start(starter, 500)
        await receive_until(starter, task_id, reached(2))
        await send_json(canceller, {"action": "cancel", "task_id": task_id})
        cancelled = {"type": "task.cancelled", "task_id": task_id}
        assert await receive_json(canceller) == cancelled
        assert (await receive_until(starter, task_id, is_final))[-1] == cancelled
        assert await nothing_arrives(starter)
    return cancelled


async def test_a_cancel_stops_the_job_for_every_watcher(baked, daphne):
    server = daphne(baked("in-memory"), **FAST_TASKS)
    cancelled = await cancel_while_running(server, server)
    assert await watch_to_the_end(server, cancelled["task_id"]) == [cancelled]
    assert_clean(server)


@pytest.fixture(params=["redis", "redis-pubsub"])
def redis_pair(request, baked, daphne, redis_url):
    """Two daphne processes of a Redis bake, sharing the private Redis."""
    project = baked(request.param)
    env = {**FAST_TASKS, "REDIS_URL": redis_url}
    return daphne(project, **env), daphne(project, **env)


async def test_a_watcher_on_another_process_sees_the_state_then_the_end(redis_pair):
    first, second = redis_pair
    async with websocket(first) as starter:
        task_id = await start(starter, 40)
        await receive_until(starter, task_id, reached(3))
        messages = await watch_to_the_end(second, task_id)
    assert_resumed(messages, from_step=3, total=40)
    assert messages[-1]["type"] == "task.done"
    assert_clean(first, second)


async def test_a_cancel_from_another_process_stops_the_job(redis_pair):
    first, second = redis_pair
    cancelled = await cancel_while_running(first, second)
    for server in redis_pair:
        assert await watch_to_the_end(server, cancelled["task_id"]) == [cancelled]
    assert_clean(first, second)


@pytest.fixture
def worker_setup(baked, daphne, redis_url, tmp_path):
    """Two daphne processes that send jobs to one `runworker tasks` process."""
    project = baked("redis")
    env = {**FAST_TASKS, "REDIS_URL": redis_url, "TASK_RUNNER": "worker"}
    worker = Runworker(project, tmp_path / "runworker.log", ["tasks"], env=env)
    worker.start()
    yield daphne(project, **env), daphne(project, **env), worker
    worker.stop()


async def test_worker_mode_runs_jobs_that_outlive_the_server_that_started_them(
    worker_setup,
):
    starting, other, worker = worker_setup
    async with websocket(starting) as starter:
        task_id = await start(starter, 40)
        await receive_until(starter, task_id, reached(2))
    starting.stop()
    messages = await watch_to_the_end(other, task_id)
    assert messages[-1] == {"type": "task.done", "task_id": task_id}
    assert_clean(other, worker)


async def test_worker_mode_cancels_a_job_running_in_the_worker(worker_setup):
    server, _, worker = worker_setup
    async with websocket(server) as starter:
        task_id = await start(starter, 500)
        await receive_until(starter, task_id, reached(2))
        await send_json(starter, {"action": "cancel", "task_id": task_id})
        cancelled = {"type": "task.cancelled", "task_id": task_id}
        assert (await receive_until(starter, task_id, is_final))[-1] == cancelled
        async with websocket(server) as watcher:
            await send_json(watcher, {"action": "watch", "task_id": task_id})
            assert await receive_json(watcher) == cancelled
            assert await nothing_arrives(watcher)
    assert_clean(server, worker)
