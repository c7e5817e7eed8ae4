"""Fixtures shared by the tests."""

import pytest
from channels.layers import get_channel_layer


@pytest.fixture(autouse=True)
async def empty_channel_layer():
    """Each test starts with no groups and no pending messages."""
    yield
    await get_channel_layer().flush()


@pytest.fixture(autouse=True)
async def no_jobs_left_running():
    """Jobs still running when a test ends are cancelled with its event loop."""
    yield
    from realtime.jobs.runner import runner

    await runner.cancel_all()
