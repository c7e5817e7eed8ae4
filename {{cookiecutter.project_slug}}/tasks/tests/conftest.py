import pytest

from tests.live_server import LiveServer, TaskWorker

# Fast steps, and a job lost after 2 s of silence, read every 0.2 s.
LIVE_ENV = {
    "TASK_STEP_SECONDS": "0.05",
    "TASK_LOST_SECONDS": "2",
    "TASK_POLL_SECONDS": "0.2",
}


@pytest.fixture
async def browser():
    """The session cookie of an anonymous browser, as the /tasks/ page gives."""
    from tests.clients import anonymous_browser

    return await anonymous_browser()


@pytest.fixture(scope="module")
def tasks_server(tmp_path_factory):
    """The production server (`manage.py serve`) and a real task worker on one
    database, per test module."""
    directory = tmp_path_factory.mktemp("tasks")
    server = LiveServer(directory / "server.log", env=LIVE_ENV, server="serve")
    server.start()
    worker = TaskWorker(server, directory / "worker.log")
    worker.start()
    yield server, worker
    worker.stop()
    server.stop()
