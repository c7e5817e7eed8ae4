"""Long jobs on real servers and a real task worker (`manage.py db_worker`).

In-memory bake: one daphne, and the worker reaches its sockets only through the
database (they read the jobs' rows). Redis bakes: two daphne processes sharing
a private Redis and one database, with the worker pushing through the layer.
Each test has a database of its own: the jobs of one never queue before another's.
"""

import asyncio
import importlib.util
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from tests.baking import PROJECT_TEMPLATE_DIR
from tests.servers import RedisServer
from tests.sockets import nothing_arrives, session_cookie_from


def bake_module(path):
    """A module of the baked project that imports nothing of it (and has no
    template tags): the same code as the bake's."""
    spec = importlib.util.spec_from_file_location(
        path.stem, PROJECT_TEMPLATE_DIR / path
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


client = bake_module(Path("tasks/tests/client.py"))  # the bake's tasks socket client

FAST_TASKS = {"TASK_STEP_SECONDS": "0.02"}


@pytest.fixture
def env(tmp_path):
    return {**FAST_TASKS, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}


def assert_clean(*processes):
    for process in processes:
        log = process.log()
        for marker in ("Traceback", " ERROR "):
            assert marker not in log, log[max(0, log.find(marker) - 2000) :][:6000]


async def watch_to_the_end(server, cookie, task_id):
    async with client.tasks_socket(server, cookie) as watcher:
        await client.send_json(watcher, {"action": "watch", "task_id": task_id})
        return await client.receive_until(watcher, task_id)


async def test_in_memory_a_job_outlives_its_socket_and_reports_from_the_database(
    baked, daphne, task_worker, env
):
    project = baked("in-memory")
    server = daphne(project, **env)
    worker = task_worker(project, **env)
    cookie = session_cookie_from(server)
    async with client.tasks_socket(server, cookie) as starter:
        task_id = await client.start(starter, 100)
        await client.receive_until(starter, task_id, step=3)
    messages = await watch_to_the_end(server, cookie, task_id)
    assert client.steps_of(messages)[0] >= 3
    assert client.steps_of(messages) == sorted(set(client.steps_of(messages)))
    assert messages[-1] == {"type": "task.done", "task_id": task_id}
    assert_clean(server, worker)


@pytest.fixture(params=["redis", "redis-pubsub"])
def redis_pair(request, baked, daphne, task_worker, redis_url, env):
    """Two daphne processes and a worker of a Redis bake, on one Redis and database."""
    project = baked(request.param)
    env = {**env, "REDIS_URL": redis_url}
    first = daphne(project, **env)
    return first, daphne(project, **env), task_worker(project, **env)


async def test_a_watcher_on_another_process_sees_every_step_to_the_end(redis_pair):
    first, second, worker = redis_pair
    cookie = session_cookie_from(first)
    async with client.tasks_socket(first, cookie) as starter:
        task_id = await client.start(starter, 50)
        await client.receive_until(starter, task_id, step=3)
        messages = await watch_to_the_end(second, cookie, task_id)
    steps = client.steps_of(messages)
    assert steps[0] >= 3 and steps == list(range(steps[0], 51))
    assert messages[-1]["type"] == "task.done"
    assert_clean(first, second, worker)


async def test_a_cancel_from_another_process_stops_the_job(redis_pair):
    first, second, worker = redis_pair
    cookie = session_cookie_from(first)
    async with (
        client.tasks_socket(first, cookie) as starter,
        client.tasks_socket(second, cookie) as other,
    ):
        task_id = await client.start(starter, 1000)
        await client.receive_until(starter, task_id, step=2)
        sent = time.monotonic()
        await client.send_json(other, {"action": "cancel", "task_id": task_id})
        cancelled = {"type": "task.cancelled", "task_id": task_id}
        assert await client.receive_json(other) == cancelled
        assert (await client.receive_until(starter, task_id))[-1] == cancelled
        print(f"\ncancel across processes: {time.monotonic() - sent:.3f} s")
        assert await nothing_arrives(starter)
    for server in (first, second):
        assert await watch_to_the_end(server, cookie, task_id) == [cancelled]
    assert_clean(first, second, worker)


async def test_a_job_outlives_the_server_that_started_it(redis_pair):
    first, second, worker = redis_pair
    cookie = session_cookie_from(first)
    async with client.tasks_socket(first, cookie) as starter:
        task_id = await client.start(starter, 100)
        await client.receive_until(starter, task_id, step=2)
    first.stop()
    messages = await watch_to_the_end(second, cookie, task_id)
    assert messages[-1] == {"type": "task.done", "task_id": task_id}
    assert_clean(second, worker)


async def test_redis_down_closes_sockets_with_4011_and_the_job_still_ends(
    baked, daphne, task_worker, env, tmp_path
):
    """Redis stops mid-job: the watcher is closed with 4011 (one ERROR line), the
    worker says once that it cannot push, and the job ends in the database."""
    redis = RedisServer(tmp_path).start()
    project = baked("redis")
    env = {**env, "REDIS_URL": redis.url, "TASK_POLL_SECONDS": "0.5"}
    server, worker = daphne(project, **env), task_worker(project, **env)
    cookie = session_cookie_from(server)
    try:
        async with client.tasks_socket(server, cookie) as socket:
            task_id = await client.start(socket, 100)
            await client.receive_until(socket, task_id, step=2)
            redis.stop()
            stopped = time.monotonic()
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await client.receive_json(socket)
            assert closed.value.rcvd.code == 4011
            print(f"\nRedis down: 4011 after {time.monotonic() - stopped:.3f} s")
            deadline = time.monotonic() + 10
            while "updates not pushed" not in worker.log():
                assert time.monotonic() < deadline, worker.log()
                await asyncio.sleep(0.05)
            print(f"Redis down: the worker's line {time.monotonic() - stopped:.3f} s")
    finally:
        redis.start()
    # The worker pushes no more: the end comes from the job's row.
    messages = await watch_to_the_end(server, cookie, task_id)
    assert messages[-1] == {"type": "task.done", "task_id": task_id}
    assert worker.log().count("updates not pushed") == 1
    assert server.log().count(" ERROR ") == 1
    for process in (server, worker):
        assert "Traceback" not in process.log()
    redis.stop()


async def test_concurrent_starts_from_two_processes_get_exactly_the_quota(
    baked, daphne, redis_url, env
):
    """One owner, ten starts at once over two server processes (no worker: the
    jobs stay queued); the database's unique slots let TASK_MAX_PER_OWNER in."""
    project = baked("redis")
    env = {**env, "REDIS_URL": redis_url}
    servers = [daphne(project, **env), daphne(project, **env)]
    cookie = session_cookie_from(servers[0])

    async def attempt(server):
        async with client.tasks_socket(server, cookie) as socket:
            await client.send_json(socket, {"action": "start", "steps": 5})
            return (await client.receive_json(socket))["type"]

    answers = await asyncio.gather(*(attempt(servers[n % 2]) for n in range(10)))
    print(f"\n10 concurrent starts: {answers.count('task.started')} accepted")
    assert sorted(answers) == ["error"] * 7 + ["task.started"] * 3
    assert_clean(*servers)


async def test_one_address_is_capped_whatever_sessions_it_makes(baked, daphne, env):
    project = baked("in-memory")
    server = daphne(project, TASK_MAX_PER_ADDRESS="4", **env)
    answers = []
    for _ in range(6):  # a new session each time, as a script would make
        async with client.tasks_socket(server, session_cookie_from(server)) as socket:
            await client.send_json(socket, {"action": "start", "steps": 5})
            answers.append(await client.receive_json(socket))
    assert [a["type"] for a in answers] == ["task.started"] * 4 + ["error"] * 2
    assert "(TASK_MAX_PER_ADDRESS)" in answers[-1]["error"]
