"""The tasks sample under load: 50 jobs from 10 owners at once, on one worker.

    python -m benchmarks.tasks [--layer redis] [--steps 10] [--step-seconds 0.01]

from the repository root. Bakes the template, starts daphne, one `manage.py
db_worker` (and a private Redis for a Redis layer) on a SQLite file, opens one
socket per owner, and each starts 5 jobs, which its socket then follows. A
trigger on the jobs' table records when each step was saved; the delay of a
step is from that save to its arrival at the owner's socket. Prints the
throughput (jobs done per second, from the first start to the last done) and
the delay's p50 and p99.
"""

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.asyncio.client import connect

from tests.baking import bake
from tests.servers import Daphne, RedisServer, TaskWorker

OWNERS, JOBS_PER_OWNER = 10, 5
TRIGGER = """
CREATE TABLE IF NOT EXISTS bench_steps (task_id TEXT, step INTEGER, saved REAL);
CREATE TRIGGER IF NOT EXISTS bench_step AFTER UPDATE OF step ON tasks_job BEGIN
  INSERT INTO bench_steps VALUES (
    new.id, new.step, (julianday('now') - 2440587.5) * 86400.0);
END;
"""


def session_cookie(server):
    with urllib.request.urlopen(server.http_url + "/tasks/", timeout=10) as response:
        for header in response.headers.get_all("Set-Cookie"):
            if header.startswith("sessionid="):
                return header.partition(";")[0]
    raise RuntimeError("no session cookie")


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
        "DATABASE_URL": f"sqlite:///{database}",
        "TASK_STEP_SECONDS": options.step_seconds,
        "TASK_MAX_PER_OWNER": str(JOBS_PER_OWNER),
        "TASK_MAX_PER_ADDRESS": str(OWNERS * JOBS_PER_OWNER),
        "WEBSOCKET_CLIENT_MAX_SOCKETS": "0",
        "WEBSOCKET_CLIENT_HANDSHAKE_RATE": "0",
        "WEBSOCKET_CLIENT_RATE_LIMIT": "0",
        "WEBSOCKET_RATE_LIMIT": "0",
    }
    redis = None
    if options.layer != "in-memory":
        redis = RedisServer(directory).start()
        env["REDIS_URL"] = redis.url
    server = Daphne(project, directory / "daphne.log", env=env).start()
    with sqlite3.connect(database) as connection:
        connection.executescript(TRIGGER)
    worker = TaskWorker(project, directory / "worker.log", env=env).start()
    try:
        cookies = [session_cookie(server) for _ in range(OWNERS)]
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
        f"layer {options.layer}: {jobs} jobs x {options.steps} steps of"
        f" {options.step_seconds} s from {OWNERS} owners on one db_worker:"
        f" {elapsed:.2f} s, {jobs / elapsed:.2f} jobs/s;"
        f" {len(delays)} step deliveries, save-to-watcher delay"
        f" p50 {statistics.median(delays) * 1000:.1f} ms,"
        f" p99 {percentile(delays, 0.99) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
