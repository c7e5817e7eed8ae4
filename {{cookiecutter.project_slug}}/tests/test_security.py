"""The websocket stack refuses foreign origins and unknown paths, quietly."""

import logging

import pytest
from channels.generic.websocket import WebsocketConsumer
from channels.routing import URLRouter
from channels.testing import ApplicationCommunicator
from django.urls import path, re_path

from realtime_kit.route_not_found import RouteNotFoundMiddleware, router_matches
from tests.clients import communicator

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "origin",
    [b"http://evil.example", b"http://localhost.evil.example", None],
    ids=["foreign", "lookalike", "missing"],
)
async def test_handshakes_from_other_origins_are_refused(echo_path, origin):
    client = communicator(echo_path, origin=origin)
    connected, _ = await client.connect()
    assert not connected


async def test_an_unknown_path_is_refused_with_one_warning_and_no_traceback(caplog):
    caplog.set_level(logging.DEBUG)
    client = communicator("/ws/nothing-here/")
    connected, _ = await client.connect()
    assert not connected
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.levelname == "WARNING"
    assert "/ws/nothing-here/" in record.getMessage()
    assert record.exc_info is None


class BrokenConsumer(WebsocketConsumer):
    def connect(self):
        raise ValueError("a bug in a consumer")


async def test_errors_other_than_no_route_still_surface():
    router = URLRouter([path("ws/broken/", BrokenConsumer.as_asgi())])
    application = RouteNotFoundMiddleware(router)
    client = ApplicationCommunicator(
        application, {"type": "websocket", "path": "/ws/broken/", "headers": []}
    )
    await client.send_input({"type": "websocket.connect"})
    with pytest.raises(ValueError, match="a bug in a consumer"):
        await client.receive_output()


def test_the_route_check_follows_nested_routers():
    consumer = BrokenConsumer.as_asgi()
    router = URLRouter(
        [
            re_path(r"^ws/rooms/", URLRouter([path("<int:number>/", consumer)])),
            path("ws/flat/", consumer),
        ]
    )
    assert router_matches(router, "/ws/flat/")
    assert router_matches(router, "/ws/rooms/7/")
    assert not router_matches(router, "/ws/rooms/seven/")
    assert not router_matches(router, "/ws/flat/extra/")
    assert not router_matches(router, "/ws/")


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (b"http://localhost", True),
        (b"https://localhost:8443", True),
        (b"http://127.0.0.1:8123", True),
        (b"http://evil.example", False),
        (b"http://127.0.0.1.evil.example:8123", False),
        (b"null", False),
    ],
)
async def test_origins_are_checked_against_allowed_hosts(echo_path, origin, allowed):
    # Channels' AllowedHostsOriginValidator: the host, on any scheme and port.
    connected, _ = await communicator(echo_path, origin=origin).connect()
    assert connected is allowed


async def test_a_refused_origin_is_one_warning_line_naming_the_setting(caplog):
    connected, _ = await communicator("/ws/x/", origin=b"http://evil.example").connect()
    assert not connected
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "http://evil.example" in record.getMessage()
    assert "DJANGO_ALLOWED_HOSTS" in record.getMessage()


def test_check_refuses_every_host(settings):
    from realtime_kit.checks import check_websocket_origins

    settings.ALLOWED_HOSTS = ["*"]
    [error] = check_websocket_origins(None)
    assert error.id == "realtime_kit.E001"
    settings.ALLOWED_HOSTS = ["example.com"]
    assert check_websocket_origins(None) == []
