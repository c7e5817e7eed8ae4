"""Fixtures for every test of the project, the apps' included."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers, get_channel_layer
from django.db import connections

from tests.clients import served_at
from tests.consumers import Echo, Room, WhoAmI
from tests.live_server import LiveServer


@pytest.fixture(autouse=True)
async def fresh_channel_layer():
    """Each test gets a layer of its own, and leaves nothing in it.

    Redis layers bind their locks to the event loop that first used them, and
    each test has its own loop.
    """
    yield
    await get_channel_layer().flush()
    channel_layers.backends.clear()


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


# Consumers of the tests' own, on the project's real stack: tests of what every
# socket gets do not depend on a sample app, which you may delete.


@pytest.fixture
def echo_path():
    with served_at("/ws/test/echo/", Echo) as url_path:
        yield url_path


@pytest.fixture
def room_path():
    with served_at("/ws/test/room/", Room) as url_path:
        yield url_path


@pytest.fixture
def whoami_path():
    with served_at("/ws/test/whoami/", WhoAmI) as url_path:
        yield url_path
