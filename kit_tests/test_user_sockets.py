"""A user's sockets end with their login, on a real `manage.py serve` over Redis
(realtime_kit/sessions.py: a group per user beside the group per session).

Another process (`manage.py shell`, as an admin's or a script's change would
be) deactivates the user or changes the password: every socket of that user
closes with 4001, whatever session opened it; other users' stay open.
Measured before the fix: a deactivated user's open sockets kept working.
"""

import asyncio
import subprocess
import sys

import pytest
from django.conf import settings
from websockets.asyncio.client import connect

from realtime_kit.serving import layer_is_in_process
from tests.live_server import PROJECT_DIR, LiveServer
from tests.sockets import close_code
from tests.web import WebClient

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        layer_is_in_process(), reason="another process reaches sockets through Redis"
    ),
]

PASSWORD = "a long enough passphrase 42"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("serve") / "serve.log", server="serve")
    live.start()
    yield live
    live.stop()


def logged_in(server, username, address):
    """The session cookie of a new login of `username` (signed up first)."""
    web = WebClient(server, address)
    web.submit(
        "/accounts/signup/",
        {"username": username, "password1": PASSWORD, "password2": PASSWORD},
    )
    web = WebClient(server, address)
    status, _ = web.submit(
        "/accounts/login/", {"username": username, "password": PASSWORD}
    )
    assert status == 302
    return f"{settings.SESSION_COOKIE_NAME}={web.cookie(settings.SESSION_COOKIE_NAME)}"


def in_the_servers_database(server, code):
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=PROJECT_DIR,
        env=server.environment,
        check=True,
        timeout=60,
    )


def socket(server, cookie):
    return connect(
        f"{server.ws_url}/ws/chat/users/",
        origin=server.origin,
        additional_headers={"Cookie": cookie},
        open_timeout=5,
    )


@pytest.mark.parametrize(
    "change",
    [
        "user.is_active = False; user.save()",
        "user.set_password('another long passphrase 7'); user.save()",
    ],
)
async def test_a_users_sockets_close_when_their_login_ends(server, change):
    name = "u" + str(abs(hash(change)))[:8]
    first = logged_in(server, name, "10.23.0.1")
    second = logged_in(server, name, "10.23.0.2")
    other = logged_in(server, name + "x", "10.23.0.3")
    async with (
        socket(server, first) as one,
        socket(server, second) as two,
        socket(server, other) as bystander,
    ):
        await asyncio.to_thread(
            in_the_servers_database,
            server,
            "from django.contrib.auth import get_user_model;"
            f" user = get_user_model().objects.get(username={name!r}); {change}",
        )
        assert await close_code(one) == 4001
        assert await close_code(two) == 4001
        await bystander.ping()  # still open
    assert "Traceback" not in server.log()
