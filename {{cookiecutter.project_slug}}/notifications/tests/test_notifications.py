"""Per-user push: every socket of the user, nobody else's; anonymous sockets refused."""

import logging
import os
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from notifications.push import anotify
from realtime_kit.serving import layer_is_in_process
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


def manage(database, *arguments):
    """`manage.py` in a process of its own, as from a shell: the tests' settings
    and layer (the same Redis on a Redis layer), on a database file of its own."""
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "LIVE_SERVER_DATABASE": str(database),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_notify_command_from_a_shell_reaches_the_user_or_says_why_not(
    tmp_path,
):
    database = tmp_path / "shell.sqlite3"
    migrated = await sync_to_async(manage)(database, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr
    made = await sync_to_async(manage)(
        database,
        *("shell", "-c"),
        "from django.contrib.auth import get_user_model;"
        "print(get_user_model().objects.create(username='ada').pk)",
    )
    user_pk = made.stdout.split()[-1]

    if layer_is_in_process():
        # In-memory: nothing the command sends can reach a server's sockets.
        result = await sync_to_async(manage)(database, "notify", "ada", "hello")
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.startswith("CommandError: Not sent: the channel layer")
        assert "does not cross processes" in result.stderr
        assert "/notifications/" in result.stderr
        assert "Traceback" not in result.stderr
        return

    # A Redis layer: what a server's socket of ada's would receive, from Redis.
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(f"notifications.user.{user_pk}", channel)
    result = await sync_to_async(manage)(
        database, "notify", "ada", "hello from the shell"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Sent to ada:")
    assert await layer.receive(channel) == {
        "type": "notification.message",
        "message": "hello from the shell",
    }
    unknown = await sync_to_async(manage)(database, "notify", "nobody", "hello")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "CommandError: No user 'nobody'."


async def test_the_form_sends_to_every_socket_of_its_user():
    ada = await get_user_model().objects.acreate(username="ada")
    tab = await logged_in_browser(ada)
    async with open_websocket("/ws/notifications/", cookie=tab.cookie) as client:
        sent = await sync_to_async(tab.post)(
            "/notifications/send/", data={"message": "  to myself  "}
        )
        assert sent.status_code == 204
        assert await client.receive_json_from() == {
            "type": "notification",
            "message": "to myself",
        }


@pytest.mark.parametrize(
    ("message", "error"),
    [("", "required"), ("x" * 501, "at most 500 characters")],
    ids=["empty", "too-long"],
)
def test_the_form_refuses_a_bad_message_with_the_reason(
    client, django_user_model, message, error
):
    client.force_login(django_user_model.objects.create_user("ada"))
    answer = client.post("/notifications/send/", data={"message": message})
    assert answer.status_code == 400
    assert error in answer.json()["error"]


def test_the_form_needs_a_login_a_post_and_a_csrf_token(client, django_user_model):
    assert client.post("/notifications/send/", {"message": "x"}).status_code == 302
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(django_user_model.objects.create_user("ada"))
    assert browser.get("/notifications/send/").status_code == 405
    assert browser.post("/notifications/send/", {"message": "x"}).status_code == 403


def test_the_page_needs_a_login(client, django_user_model):
    assert client.get("/notifications/").status_code == 302
    client.force_login(django_user_model.objects.create_user("ada"))
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert b'id="notification-list"' in page.content
    assert b'id="notify-form"' in page.content
    # The page offers the command only where it reaches the sockets.
    assert (b"python manage.py notify ada" in page.content) != layer_is_in_process()
