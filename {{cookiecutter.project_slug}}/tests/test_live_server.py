"""End to end, on a real daphne: what the stack refuses, and the home page."""

import time
import urllib.error
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.live_server import LiveServer

pytestmark = pytest.mark.live


async def test_a_foreign_origin_gets_403(daphne_server):
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"{daphne_server.ws_url}/ws/x/", origin="http://evil.example"
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_an_unknown_path_gets_403_and_one_warning_without_traceback(
    daphne_server,
):
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"{daphne_server.ws_url}/ws/scanner-probe/", origin=daphne_server.origin
        ):
            pass
    assert refused.value.response.status_code == 403
    log = daphne_server.log()
    about_probe = [line for line in log.splitlines() if "/ws/scanner-probe/" in line]
    assert len([line for line in about_probe if " WARNING " in line]) == 1
    assert "Traceback" not in log
    assert " ERROR " not in log


def test_the_home_page_is_served_and_an_unknown_page_is_404(daphne_server):
    with urllib.request.urlopen(daphne_server.http_url + "/", timeout=10) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(daphne_server.http_url + "/no-such-page/", timeout=10)
    assert missing.value.code == 404


def test_runserver_prints_each_request_once(tmp_path):
    """`make run`'s server: one line per request, in LOGGING's format, not two."""
    server = LiveServer(
        tmp_path / "runserver.log", server="runserver", env={"DJANGO_DEBUG": "true"}
    )
    server.start()
    try:
        for _ in range(2):
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(server.http_url + "/once/", timeout=10)
        time.sleep(0.5)  # the lines are written after the answers
    finally:
        server.stop()
    lines = server.log().splitlines()
    requests = [line for line in lines if "GET /once/" in line]
    assert len(requests) == 2, requests
    assert all(" WARNING django.channels.server " in line for line in requests)
    assert len([line for line in lines if "Watching for file changes" in line]) == 1
