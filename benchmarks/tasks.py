"""The tasks sample under load, as users get it: 50 jobs from 10 logged-in owners
at once, on the production server and one worker.

    python -m benchmarks.tasks [--layer redis] [--steps 10] [--step-seconds 0.01]

from the repository root. Bakes the template, starts its production command
(`manage.py serve`, static files collected first, as `make serve` does), one
`manage.py db_worker` (and a private Redis for a Redis layer) on a SQLite file.
Ten users log in through the login page (so the server has its database open, as
any deployment has); each opens one socket with its session cookie and starts
5 jobs, which the socket then follows. A trigger on the jobs' table records when
each step was saved; the delay of a step is from that save to its arrival at the
owner's socket. Prints the throughput (jobs done per second, from the first
start to the last done) and the delay's p50 and p99.
"""

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

from benchmarks.run import BAKE_ENV, collect_static, create_users, log_in
from tests.baking import bake
from tests.servers import RedisServer, TaskWorker, Uvicorn

OWNERS, JOBS_PER_OWNER = 10, 5
TRIGGER = """
CREATE TABLE IF NOT EXISTS bench_steps (task_id TEXT, step INTEGER, saved REAL);
CREATE TRIGGER IF NOT EXISTS bench_step AFTER UPDATE OF step ON tasks_job BEGIN
  INSERT INTO bench_steps VALUES (
    new.id, new.step, (julianday('now') - 2440587.5) * 86400.0);
END;
"""
OWNER_ROWS = [f"owner-{n}" for n in range(OWNERS)]  # users bench-owner-<n>


async def owner(server, cookie, steps, received):
    async with connect(
        f"{server.ws_url}/ws/tasks/",
        origin=server.origin,
        additional_headers={"Cookie": cookie},
        open_timeout=20,
    ) as socket:
        for _ in range(JOBS_PER_OWNER):
            await socket.send(json.dumps({"action": "start", "steps": steps}))
        ended = 0
        while ended < JOBS_PER_OWNER:
            message = json.loads(await asyncio.wait_for(socket.recv(), 120))
            if message["type"] == "task.progress":
                received.append((message["task_id"], message["step"], time.time()))
            elif message["type"] == "error":
                raise RuntimeError(message["error"])
            elif message["type"] != "task.started":
                ended += 1
                assert message["type"] == "task.done", message


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(fraction * len(values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="redis", help="in-memory, redis, ...")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--step-seconds", default="0.01")
    options = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="tasks-bench-"))
    project = bake(directory / "bake", channel_layer=options.layer)
    database = directory / "db.sqlite3"
    env = {
        **BAKE_ENV,
        "DATABASE_URL": f"sqlite:///{database}",
        "TASK_STEP_SECONDS": options.step_seconds,
        "TASK_MAX_PER_OWNER": str(JOBS_PER_OWNER),
        # Every owner comes from 127.0.0.1.
        "TASK_MAX_PER_ADDRESS": str(OWNERS * JOBS_PER_OWNER),
    }
    redis = None
    if options.layer != "in-memory":
        redis = RedisServer(directory).start()
        env["REDIS_URL"] = redis.url
    server = Uvicorn(project, directory / "serve.log", env=env)
    collect_static(server)()
    server.start()
    create_users(OWNER_ROWS, server)
    with sqlite3.connect(database) as connection:
        connection.executescript(TRIGGER)
    worker = TaskWorker(project, directory / "worker.log", env=env).start()
    try:
        cookies = [log_in(row, server)[1] for row in OWNER_ROWS]
        received = []

        async def run():
            await asyncio.gather(
                *(owner(server, c, options.steps, received) for c in cookies)
            )

        started = time.time()
        asyncio.run(run())
        elapsed = time.time() - started
    finally:
        worker.stop()
        server.stop()
        if redis:
            redis.stop()
    with sqlite3.connect(database) as connection:
        saved = {
            (task_id.replace("-", ""), step): at
            for task_id, step, at in connection.execute("SELECT * FROM bench_steps")
        }
    delays = [at - saved[(t, s)] for t, s, at in received if (t, s) in saved]
    jobs = OWNERS * JOBS_PER_OWNER
    print(
        f"layer {options.layer}, manage.py serve, {OWNERS} logged-in owners:"
        f" {jobs} jobs x {options.steps} steps of {options.step_seconds} s on one"
        f" db_worker: {elapsed:.2f} s, {jobs / elapsed:.2f} jobs/s;"
        f" {len(delays)} step deliveries, save-to-watcher delay"
        f" p50 {statistics.median(delays) * 1000:.1f} ms,"
        f" p99 {percentile(delays, 0.99) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
