"""The production command, `manage.py serve` (uvicorn), on baked projects.

Unknown websocket routes get a real 404; several processes on the in-memory
layer are refused; /readyz follows a real Redis stopped and started again.
"""

import asyncio
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.servers import PROJECT_ENV, RedisServer, Uvicorn


@pytest.fixture
def uvicorn(tmp_path):
    """uvicorn(project_dir, **env) starts `manage.py serve`; all stop after the test."""
    servers = []

    def start(project_dir, **env):
        server = Uvicorn(project_dir, tmp_path / f"uvicorn-{len(servers)}.log", env=env)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def assert_no_traceback(log):
    assert "Traceback" not in log, log
    assert "ERROR" not in log, log


def test_an_unknown_websocket_route_gets_a_403_and_one_warning(baked, uvicorn):
    server = uvicorn(baked("in-memory"))

    async def handshake(path):
        async with connect(server.ws_url + path, origin=server.origin):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(handshake("/ws/no-such-route/?probe=1"))
    assert refused.value.response.status_code == 403
    time.sleep(0.3)
    log = server.log()
    warnings = [line for line in log.splitlines() if " WARNING " in line]
    assert len(warnings) == 1, log
    assert "no route for path '/ws/no-such-route/'" in warnings[0]
    assert "probe=1" not in log  # no query strings in its log lines
    assert_no_traceback(log)


def test_several_processes_on_the_in_memory_layer_are_refused(baked):
    result = subprocess.run(
        [sys.executable, "manage.py", "serve"],
        cwd=baked("in-memory"),
        env={**PROJECT_ENV, "PATH": "/usr/bin:/bin", "SERVER_PROCESSES": "2"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "realtime_kit.E002" in result.stderr
    assert "does not cross processes" in result.stderr
    assert "Traceback" not in result.stderr


def test_several_processes_on_redis_share_one_port(baked, uvicorn, redis_url):
    server = uvicorn(baked("redis"), REDIS_URL=redis_url, SERVER_PROCESSES="2")
    deadline = time.monotonic() + 30
    while server.log().count("Started server process") < 2:
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.2)
    assert get_json(server.http_url + "/readyz") == (200, {"status": "ready"})


def test_readyz_follows_redis_down_and_back(baked, uvicorn, tmp_path):
    redis = RedisServer(tmp_path).start()
    try:
        server = uvicorn(baked("redis"), REDIS_URL=redis.url)
        assert get_json(server.http_url + "/readyz") == (200, {"status": "ready"})

        redis.stop()
        status, body = get_json(server.http_url + "/readyz")
        assert status == 503
        assert body == {"status": "unavailable", "failed": ["channel_layer", "cache"]}
        assert get_json(server.http_url + "/healthz") == (200, {"status": "ok"})

        redis.start()
        deadline = time.monotonic() + 15
        while get_json(server.http_url + "/readyz")[0] != 200:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.5)
    finally:
        redis.stop()
    log = server.log()
    assert "Traceback" not in log, log
    assert "WARNING realtime_kit.health Not ready: channel_layer failed" in log
    assert "WARNING realtime_kit.health Not ready: cache failed" in log
