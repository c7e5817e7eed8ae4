"""Fixtures of the project-wide tests: consumers of their own on the real stack."""

import pytest

from tests.clients import served_at
from tests.consumers import Echo, Room


@pytest.fixture
def echo_path():
    with served_at("/ws/test/echo/", Echo) as url_path:
        yield url_path


@pytest.fixture
def room_path():
    with served_at("/ws/test/room/", Room) as url_path:
        yield url_path
