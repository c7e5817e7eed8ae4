"""A private PostgreSQL cluster for the tests, on a free port, stopped by its own pid.

initdb and pg_ctl from PATH, else the newest of Debian's
/usr/lib/postgresql/<version>/bin; as root the cluster runs as `postgres`.
https://www.postgresql.org/docs/current/app-initdb.html
"""

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.live_server import free_port

DEBIAN_BINARIES = Path("/usr/lib/postgresql")


def postgres_binaries():
    """The directory that holds initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = [path.parent for path in DEBIAN_BINARIES.glob("*/bin/initdb")]
    versions.sort(key=lambda path: int(path.parent.name.partition(".")[0]))
    return versions[-1] if versions else None


class PostgresCluster:
    """A throwaway cluster in `directory`: trust authentication on 127.0.0.1 only."""

    def __init__(self, directory, port=None):
        self.binaries = postgres_binaries()
        if self.binaries is None:
            raise RuntimeError(
                "the tests need PostgreSQL: install its server (Debian: postgresql),"
                " or set DATABASE_URL"
            )
        self.directory = Path(directory)
        self.data = self.directory / "data"
        self.port = port or free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.pid = None

    def run(self, program, *arguments):
        # PostgreSQL refuses to run as root: run it as its own user then.
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
            f" -c unix_socket_directories={self.directory}"
            # Throwaway data: skip what only protects it from a crash.
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = self.directory / "postgres.log"
        self.run(
            *("pg_ctl", "start", "--wait", "--pgdata", str(self.data)),
            *("--log", str(log), "--options", options),
        )
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        return self

    def stop(self):
        """Fast shutdown (SIGINT) of the postmaster, by its pid; kill it after 10 s."""
        if self.pid is None:
            return
        os.kill(self.pid, signal.SIGINT)
        deadline = time.monotonic() + 10
        while self.running():
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        self.pid = None

    def running(self):
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True


def postgres_url_for_this_run():
    """Start a private cluster that lives as long as this Python process."""
    directory = tempfile.TemporaryDirectory(prefix="postgres-tests-")
    cluster = PostgresCluster(directory.name).start()
    atexit.register(directory.cleanup)
    atexit.register(cluster.stop)
    return cluster.url
