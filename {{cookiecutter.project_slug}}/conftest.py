"""Fixtures for every test of the project, the apps' included."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connections

from tests.live_server import LiveServer


@pytest.fixture(autouse=True)
async def empty_channel_layer():
    """Each test ends with no groups and no pending messages left in the layer."""
    yield
    await get_channel_layer().flush()


@pytest.fixture(autouse=True)
async def close_the_sync_threads_connections():
    """Consumers and the async ORM reach the database from asgiref's sync thread:
    close what they opened there, or the test database cannot be dropped."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture(scope="module")
def daphne_server(tmp_path_factory):
    """The project under a real daphne, one per test module."""
    server = LiveServer(tmp_path_factory.mktemp("daphne") / "daphne.log")
    server.start()
    yield server
    server.stop()
