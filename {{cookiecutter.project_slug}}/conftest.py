"""Fixtures for every test of the project, the apps' included."""

import pytest
from channels.layers import get_channel_layer

from tests.live_server import LiveServer


@pytest.fixture(autouse=True)
async def empty_channel_layer():
    """Each test ends with no groups and no pending messages left in the layer."""
    yield
    await get_channel_layer().flush()


@pytest.fixture(scope="module")
def daphne_server(tmp_path_factory):
    """The project under a real daphne, one per test module."""
    server = LiveServer(tmp_path_factory.mktemp("daphne") / "daphne.log")
    server.start()
    yield server
    server.stop()
