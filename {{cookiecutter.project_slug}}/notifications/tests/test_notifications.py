"""Per-user push: every socket of the user, nobody else's; anonymous sockets refused."""

import logging

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from notifications.push import anotify
from tests.clients import communicator, logged_in_browser, open_websocket

pytestmark = pytest.mark.django_db(transaction=True)


async def test_an_anonymous_handshake_is_refused_with_one_warning(caplog):
    connected, _ = await communicator("/ws/notifications/").connect()
    assert not connected
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "'/ws/notifications/' needs a logged-in user" in record.getMessage()
    assert record.exc_info is None


async def test_every_socket_of_the_user_hears_it_and_nobody_else():
    users = get_user_model().objects
    ada, grace = await users.acreate(username="ada"), await users.acreate(username="g")
    tab, other_tab = await logged_in_browser(ada), await logged_in_browser(ada)
    stranger = await logged_in_browser(grace)
    async with (
        open_websocket("/ws/notifications/", cookie=tab.cookie) as first,
        open_websocket("/ws/notifications/", cookie=other_tab.cookie) as second,
        open_websocket("/ws/notifications/", cookie=stranger.cookie) as theirs,
    ):
        await anotify(ada, "your export is ready")
        for client in (first, second):
            assert await client.receive_json_from() == {
                "type": "notification",
                "message": "your export is ready",
            }
        assert await theirs.receive_nothing(timeout=0.1)


async def test_the_notify_command_sends_to_a_user():
    ada = await get_user_model().objects.acreate(username="ada")
    browser = await logged_in_browser(ada)
    async with open_websocket("/ws/notifications/", cookie=browser.cookie) as client:
        await sync_to_async(call_command)("notify", "ada", "hello from the shell")
        reply = await client.receive_json_from()
        assert reply["message"] == "hello from the shell"


def test_the_notify_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("notify", "nobody", "hello")


def test_the_page_needs_a_login(client, django_user_model):
    assert client.get("/notifications/").status_code == 302
    client.force_login(django_user_model.objects.create_user("ada"))
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert b'id="notification-list"' in page.content
