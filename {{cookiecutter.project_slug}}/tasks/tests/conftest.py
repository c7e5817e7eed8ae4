import pytest


@pytest.fixture(autouse=True)
async def no_jobs_left_running():
    """Jobs still running when a test ends are cancelled with its event loop."""
    yield
    from tasks.runner import runner

    await runner.cancel_all()


@pytest.fixture
async def browser():
    """The session cookie of an anonymous browser, as the /tasks/ page gives."""
    from tests.clients import anonymous_browser

    return await anonymous_browser()
