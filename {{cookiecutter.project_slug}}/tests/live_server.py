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


def listening(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class ProjectProcess:
    """A process of this project in its own process group, its output in
    `log_path`: start() waits until ready(), stop() ends the whole group."""

    name = "process"

    def __init__(self, log_path, environment):
        self.log_path, self.environment = log_path, environment
        self.process = None

    def command(self):
        raise NotImplementedError

    def ready(self):
        raise NotImplementedError

    def start(self, timeout=30):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=PROJECT_DIR,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: a reloader's child stops with it.
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n" + self.log()[-2000:])
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} was not ready within {timeout}s")
            time.sleep(0.05)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def log(self):
        return self.log_path.read_text(errors="replace")


class LiveServer(ProjectProcess):
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
        self.server = self.name = server
        super().__init__(
            log_path,
            {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": settings_module,
                # A database of its own, migrated before the server starts.
                "LIVE_SERVER_DATABASE": str(log_path.with_suffix(".sqlite3")),
                "SERVER_BIND": f"127.0.0.1:{self.port}",
                **NO_CLIENT_CAPS,
                **(env or {}),
            },
        )

    @property
    def http_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}"

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self):
        if self.server == "serve":
            return [sys.executable, "manage.py", "serve"]
        if self.server == "runserver":
            return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}"]
        return [
            *(sys.executable, "-m", "daphne"),
            *("-b", "127.0.0.1", "-p", str(self.port)),
            "config.asgi:application",
        ]

    def ready(self):
        return listening(self.port)

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
        super().start()


class TaskWorker(ProjectProcess):
    """`manage.py db_worker` on a live server's database and settings."""

    name = "the task worker"

    def __init__(self, server, log_path):
        super().__init__(log_path, server.environment)

    def command(self):
        return [
            *(sys.executable, "manage.py", "db_worker", "--no-reload"),
            *("--interval", "0.05", "--no-startup-delay"),
        ]

    def ready(self):
        return "Starting worker" in self.log()
