"""A PostgreSQL outage on a real `manage.py serve`: each handshake that carries a
session cookie is refused with one ERROR line, no traceback
(realtime_kit/database_outages.py).

Measured before the fix: a 500-ish failure and about 140 lines of traceback per
handshake. Needs a PostgreSQL bake (a private cluster, stopped mid-test).
"""

import tempfile

import pytest
from django.conf import settings
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.live_server import LiveServer
from tests.web import WebClient

postgres_server = pytest.importorskip("tests.postgres_server")

pytestmark = pytest.mark.live

PASSWORD = "a long enough passphrase 42"


@pytest.fixture
def cluster():
    # Outside pytest's root-only folders: the cluster runs as user postgres.
    with tempfile.TemporaryDirectory(prefix="postgres-outage-") as directory:
        cluster = postgres_server.PostgresCluster(directory).start()
        yield cluster
        cluster.stop()


@pytest.fixture
def server(tmp_path, cluster):
    live = LiveServer(
        tmp_path / "serve.log",
        server="serve",
        env={"LIVE_SERVER_DATABASE": "", "DATABASE_URL": cluster.url},
    )
    live.start()
    yield live
    live.stop()


def logged_in_cookie(server):
    web = WebClient(server, "10.24.0.1")
    status, _ = web.submit(
        "/accounts/signup/",
        {"username": "ada", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert status == 302
    return f"{settings.SESSION_COOKIE_NAME}={web.cookie(settings.SESSION_COOKIE_NAME)}"


def socket(server, cookie):
    return connect(
        f"{server.ws_url}/ws/chat/outage/",
        origin=server.origin,
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    )


async def test_handshakes_during_a_database_outage_are_refused_with_one_line_each(
    server, cluster
):
    cookie = logged_in_cookie(server)
    async with socket(server, cookie) as before:
        await before.ping()
    cluster.stop()
    for _ in range(3):
        with pytest.raises(InvalidStatus) as refusal:
            async with socket(server, cookie):
                pass
        assert refusal.value.response.status_code == 403
    log = server.log()
    lines = [line for line in log.splitlines() if "Database failed" in line]
    print("\n".join(lines))
    assert len(lines) == 3
    assert all(" ERROR realtime_kit.database_outages " in line for line in lines)
    assert "Traceback" not in log
