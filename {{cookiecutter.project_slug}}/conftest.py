"""Fixtures for every test of the project, the apps' included."""

import pytest
from channels.layers import get_channel_layer


@pytest.fixture(autouse=True)
async def empty_channel_layer():
    """Each test ends with no groups and no pending messages left in the layer."""
    yield
    await get_channel_layer().flush()
