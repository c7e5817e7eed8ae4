"""Fixtures: baked projects (one per named combination), Redis, daphne, Chromium."""

import os
import tempfile

import pytest

from tests.baking import COMBINATIONS, bake
from tests.browser import require_chromium, start_chromium
from tests.servers import (
    Daphne,
    PostgresCluster,
    RedisServer,
    TaskWorker,
    postgres_binaries,
)


@pytest.fixture(scope="session")
def baked(tmp_path_factory):
    """Bake each named combination once per session: baked[name] is its directory."""
    projects = {}

    def get(name):
        if name not in projects:
            output = tmp_path_factory.mktemp(f"bake-{name}")
            projects[name] = bake(output, **COMBINATIONS[name])
        return projects[name]

    return get


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """REDIS_URL when set; else a private redis-server, stopped after the session."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def require_postgresql():
    """require_postgresql() skips the test without PostgreSQL's server binaries
    (fails under CI=true, where .ci/run installs them)."""

    def require():
        if postgres_binaries() is not None:
            return
        message = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)

    return require


@pytest.fixture(scope="session")
def postgres_url(require_postgresql):
    """A private PostgreSQL cluster for the session, stopped by its pid after it.

    Its directory is outside pytest's, which the `postgres` user cannot enter
    when the tests run as root."""
    require_postgresql()
    with tempfile.TemporaryDirectory(prefix="postgres-") as directory:
        cluster = PostgresCluster(directory).start()
        yield cluster.url
        cluster.stop()


@pytest.fixture
def daphne(tmp_path):
    """daphne(project_dir, **env) starts a server; all are stopped after the test."""
    servers = []

    def start(project_dir, port=None, **env):
        log_path = tmp_path / f"daphne-{len(servers)}.log"
        server = Daphne(project_dir, log_path, port=port, env=env)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def task_worker(tmp_path):
    """task_worker(project_dir, **env) starts `manage.py db_worker` (after a server
    has migrated the database); all are stopped after the test."""
    workers = []

    def start(project_dir, **env):
        log_path = tmp_path / f"db_worker-{len(workers)}.log"
        workers.append(TaskWorker(project_dir, log_path, env=env))
        return workers[-1].start()

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def chromium(tmp_path):
    """chromium() opens a new headless browser window; all are closed after the test."""
    binary, driver_path = require_chromium()
    drivers = []

    def open_window():
        profile = tmp_path / f"chromium-profile-{len(drivers)}"
        driver = start_chromium(binary, driver_path, profile)
        drivers.append(driver)
        return driver

    yield open_window
    for driver in drivers:
        driver.quit()
