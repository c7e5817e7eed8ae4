"""Fixtures shared by the tests."""

import pytest
from channels.layers import get_channel_layer


@pytest.fixture(autouse=True)
async def empty_channel_layer():
    """Each test starts with no groups and no pending messages."""
    yield
    await get_channel_layer().flush()
