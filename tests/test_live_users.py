"""Users across two daphne processes sharing one real Redis.

A notification reaches the user's sockets on both processes; a ticket opens one
socket, on either process, once; a logout on one process closes that session's
socket on the other.
"""

import asyncio
import json
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.web import WebClient

PASSWORD = "a long enough passphrase 42"


def manage(project, *arguments, env):
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def two_servers(baked, daphne, redis_url):
    project = baked("redis")
    first = daphne(project, REDIS_URL=redis_url)
    second = daphne(project, REDIS_URL=redis_url)
    env = first.environment
    manage(
        project,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model;"
        f"get_user_model().objects.filter(username='ada').delete();"
        f"get_user_model().objects.create_user('ada', password='{PASSWORD}')",
        env=env,
    )
    return project, first, second


def logged_in(server):
    client = WebClient(server)
    client.post_form("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert 'id="current-user">ada<' in client.get("/")
    return client


def notifications_socket(server, cookie=None, subprotocols=None):
    headers = {"Cookie": cookie} if cookie else None
    return connect(
        f"{server.ws_url}/ws/notifications/",
        origin=server.origin,
        additional_headers=headers,
        subprotocols=subprotocols,
        open_timeout=10,
    )


async def test_a_notification_reaches_the_users_sockets_on_both_processes(two_servers):
    project, first, second = two_servers
    cookie = logged_in(first).cookie_header()
    async with (
        notifications_socket(first, cookie) as on_first,
        notifications_socket(second, cookie) as on_second,
    ):
        manage(project, "notify", "ada", "from a third process", env=first.environment)
        for socket in (on_first, on_second):
            message = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert message == {
                "type": "notification",
                "message": "from a third process",
            }


async def test_a_ticket_opens_one_socket_once_across_processes(two_servers):
    project, first, second = two_servers
    ticket = manage(project, "ws_ticket", "ada", env=first.environment)
    async with notifications_socket(first, subprotocols=["ticket", ticket]) as socket:
        assert socket.subprotocol == "ticket"
        with pytest.raises(InvalidStatus) as refused:
            async with notifications_socket(second, subprotocols=["ticket", ticket]):
                pass
        assert refused.value.response.status_code == 403
    log = second.log()
    assert "a ticket used already" in log
    assert ticket not in log and ticket not in first.log()


async def test_a_logout_on_one_process_closes_the_sessions_socket_on_the_other(
    two_servers,
):
    _, first, second = two_servers
    browser = logged_in(first)
    async with notifications_socket(second, browser.cookie_header()) as socket:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.to_thread(browser.post_form, "/accounts/logout/", {}, "/")
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 1)
        assert closed.value.rcvd.code == 4001
        assert loop.time() - started < 1.5
