"""Run the project under a real server in a subprocess, for end-to-end tests:
daphne, `manage.py serve` (uvicorn), or `manage.py runserver` as `make run` does;
and a task worker (`manage.py db_worker`) beside it."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Every socket of a test run comes from 127.0.0.1: one client address, whose
# caps (realtime_kit/client_limits.py) a burst of sockets, or a 4008 in one test
# followed by the next test's handshakes, would meet. Off unless a test sets
# them, as the kit's own tests do.
NO_CLIENT_CAPS = {
    f"WEBSOCKET_CLIENT_{name}": "0"
    for name in ("MAX_SOCKETS", "HANDSHAKE_RATE", "RATE_LIMIT", "COOLDOWN_SECONDS")
}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"the server did not listen on port {port} within {timeout}s")


class LiveServer:
    """A server process for config.asgi; its output goes to `log_path`.

    server="daphne" runs daphne; "serve" runs `manage.py serve` (uvicorn), which
    believes X-Forwarded-For from 127.0.0.1: a test can be many client addresses;
    "runserver" runs `manage.py runserver` with its autoreloader, as `make run` does
    (two processes: the reloader and its child, stopped together).
    """

    def __init__(
        self, log_path, settings_module="tests.settings", env=None, server="daphne"
    ):
        self.port = free_port()
        self.server = server
        self.log_path = log_path
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            # A database of its own, migrated before the server starts.
            "LIVE_SERVER_DATABASE": str(log_path.with_suffix(".sqlite3")),
            "SERVER_BIND": f"127.0.0.1:{self.port}",
            **NO_CLIENT_CAPS,
            **(env or {}),
        }
        self.process = None

    @property
    def http_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}"

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        with open(self.log_path, "ab") as log:
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--no-input"],
                cwd=PROJECT_DIR,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=120,
            )
            if self.server == "serve":
                command = [sys.executable, "manage.py", "serve"]
            elif self.server == "runserver":
                command = [
                    *(sys.executable, "manage.py", "runserver"),
                    f"127.0.0.1:{self.port}",
                ]
            else:
                command = [
                    *(sys.executable, "-m", "daphne"),
                    *("-b", "127.0.0.1", "-p", str(self.port)),
                    "config.asgi:application",
                ]
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: the reloader's child stops with it.
                start_new_session=True,
            )
        wait_for_port(self.port, self.process)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log(self):
        return self.log_path.read_text(errors="replace")


class TaskWorker:
    """`manage.py db_worker` on a live server's database and settings."""

    def __init__(self, server, log_path):
        self.environment, self.log_path = server.environment, log_path
        self.process = None

    def start(self):
        command = [sys.executable, "manage.py", "db_worker", "--no-reload"]
        command += ["--interval", "0.05", "--no-startup-delay"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while "Starting worker" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the task worker did not start:\n" + self.log())
            time.sleep(0.05)

    def kill(self):
        self.process.kill()
        self.process.wait()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def log(self):
        return self.log_path.read_text(errors="replace")
