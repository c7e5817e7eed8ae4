"""deploy/nginx.conf for real: Debian's nginx in front of two `manage.py serve`
processes sharing a private Redis, with the shipped file's ports, paths and read
timeout substituted.

Chat crosses processes through nginx; a job (run by a real `manage.py
db_worker`) whose steps are longer than nginx's read timeout reports to the end (the app's pings keep the socket alive); Django
sees the client's address and scheme from the forwarded headers; and stopping
one process (SIGTERM) closes its sockets with 1012, clients reconnect through
nginx to the other, and nothing sent afterwards is lost.
"""

import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.servers import (
    Nginx,
    RedisServer,
    TaskWorker,
    Uvicorn,
    free_port,
    nginx_binary,
)
from tests.sockets import session_cookie_from

READ_TIMEOUT = 2  # seconds, nginx's, set short here
PING = 0.5  # seconds between the app's pings: well under the read timeout
STEP = 3 * READ_TIMEOUT / 2  # a job step, longer than the read timeout
PROBE_URLS = '''\
"""The project's routes, and one that shows what Django sees of the client."""

from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def client(request):
    return JsonResponse(
        {"address": request.META["REMOTE_ADDR"], "scheme": request.scheme}
    )


urlpatterns = [*project_urlpatterns, path("probe/client/", client)]
'''
PROBE_SETTINGS = (
    'from config.settings import *  # noqa: F403\n\nROOT_URLCONF = "probe_urls"\n'
)


def require_nginx():
    if nginx_binary():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("nginx is missing: .ci/run installs it")
    pytest.skip("nginx is not installed (apt-get install nginx)")


def substitute(text, old, new):
    """`text` with the one occurrence of `old` replaced: the shipped file's shape."""
    assert text.count(old) == 1, f"{old!r} should appear once in deploy/nginx.conf"
    return text.replace(old, new)


def site_config(project, port, app_ports, directory):
    text = (project / "deploy" / "nginx.conf").read_text()
    servers = re.findall(r"^    server 127\.0\.0\.1:\d+;\n", text, re.MULTILINE)
    assert len(servers) == 2, text
    text = text.replace(
        "".join(servers), "".join(f"    server 127.0.0.1:{p};\n" for p in app_ports)
    )
    text = substitute(text, "listen 80;", f"listen 127.0.0.1:{port};")
    text = re.sub(
        r"access_log /var/log/nginx/\S+", f"access_log {directory}/access.log", text
    )
    text = re.sub(
        r"alias /srv/\S+/staticfiles/;", f"alias {project}/staticfiles/;", text
    )
    return substitute(
        text, "proxy_read_timeout 60s;", f"proxy_read_timeout {READ_TIMEOUT}s;"
    )


@pytest.fixture
def deployment(baked, tmp_path):
    """nginx, two app processes and their Redis; yields (nginx, [app, app])."""
    require_nginx()
    project = tmp_path / "project"
    shutil.copytree(baked("redis"), project)
    (project / "probe_urls.py").write_text(PROBE_URLS)
    (project / "probe_settings.py").write_text(PROBE_SETTINGS)
    redis = RedisServer(tmp_path).start()
    env = {
        "DJANGO_SETTINGS_MODULE": "probe_settings",
        "REDIS_URL": redis.url,
        "WEBSOCKET_PING_SECONDS": str(PING),
        "WEBSOCKET_PING_TIMEOUT_SECONDS": str(PING),
        "TASK_STEP_SECONDS": str(STEP),
        "SERVER_SHUTDOWN_SECONDS": "5",
        # A database of its own: no job of another test queues before its own.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=project,
        env={**os.environ, **env},
        capture_output=True,
        check=True,
        timeout=120,
    )
    apps = [Uvicorn(project, tmp_path / f"app-{n}.log", env=env) for n in (0, 1)]
    port = free_port()
    site = site_config(project, port, [app.port for app in apps], tmp_path / "nginx")
    proxy = Nginx(tmp_path / "nginx", site, port)
    worker = TaskWorker(project, tmp_path / "db_worker.log", env=env)
    try:
        for app in apps:
            app.start()
        worker.start()
        proxy.start()
        yield proxy, apps
    finally:
        proxy.stop()
        worker.stop()
        for app in apps:
            app.stop()
        redis.stop()


def websocket(proxy, path, **kwargs):
    return connect(proxy.ws_url + path, origin=proxy.origin, open_timeout=10, **kwargs)


async def receive_json(socket, seconds=5):
    return json.loads(await asyncio.wait_for(socket.recv(), seconds))


async def say(socket, text):
    await socket.send(json.dumps({"message": text}))


async def receive_chat(socket):
    """The next frame of a chat socket other than chat.presence."""
    while (frame := await receive_json(socket))["type"] == "chat.presence":
        pass
    return frame


async def hear(socket, text):
    while True:
        message = await receive_json(socket)
        if message.get("message") == text:
            return


def chat_sockets_of(app):
    return app.log().count('"WebSocket /ws/chat/')


def get(proxy, path, headers=(), source="127.0.0.2"):
    """GET through nginx from a client at `source` (any 127.x address is local)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", proxy.port, timeout=10, source_address=(source, 0)
    )
    connection.request("GET", path, headers=dict(headers))
    response = connection.getresponse()
    return response.status, response.read()


def test_chat_crosses_processes_through_nginx(deployment):
    proxy, apps = deployment

    async def scenario():
        async with (
            websocket(proxy, "/ws/chat/lobby/") as first,
            websocket(proxy, "/ws/chat/lobby/") as second,
        ):
            await say(first, "hello over there")
            await hear(second, "hello over there")
            await say(second, "hello back")
            await hear(first, "hello back")

    asyncio.run(scenario())
    # least_conn put one socket on each process.
    assert [chat_sockets_of(app) for app in apps] == [1, 1]


def test_static_files_pages_and_health_through_nginx(deployment):
    proxy, apps = deployment
    status, body = get(proxy, "/static/site.css")
    assert status == 200 and body
    assert not any('"GET /static/' in app.log() for app in apps)  # nginx's own
    assert get(proxy, "/")[0] == 200
    assert get(proxy, "/readyz") == (200, b'{"status": "ready"}')


def test_django_sees_the_client_address_and_scheme_from_forwarded_headers(deployment):
    proxy, apps = deployment
    # A client may send its own forwarded headers; nginx appends the address it
    # saw, and sets the scheme, and the app believes only its proxy.
    status, body = get(
        proxy,
        "/probe/client/",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
    )
    assert status == 200
    assert json.loads(body) == {"address": "127.0.0.2", "scheme": "http"}
    # Straight to the app from the trusted proxy address, the headers decide.
    connection = http.client.HTTPConnection("127.0.0.1", apps[0].port, timeout=10)
    connection.request(
        "GET",
        "/probe/client/",
        headers={"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"},
    )
    seen = json.loads(connection.getresponse().read())
    assert seen == {"address": "198.51.100.7", "scheme": "https"}


def test_a_job_longer_than_the_read_timeout_reports_to_the_end(deployment):
    proxy, _ = deployment
    cookie = session_cookie_from(proxy)
    steps = 3  # each longer than nginx's read timeout: 4.5 s of silence in all

    async def scenario():
        async with websocket(
            proxy, "/ws/tasks/", additional_headers={"Cookie": cookie}
        ) as socket:
            await socket.send(json.dumps({"action": "start", "steps": steps}))
            messages = [await receive_json(socket)]
            while messages[-1]["type"] not in ("task.done", "task.failed"):
                messages.append(await receive_json(socket, seconds=STEP * 3))
            return messages

    started = time.monotonic()
    messages = asyncio.run(scenario())
    assert time.monotonic() - started >= steps * STEP > 2 * READ_TIMEOUT
    types = [message["type"] for message in messages]
    assert types[0] == "task.started" and types[-1] == "task.done", messages
    steps_seen = [m["step"] for m in messages if m["type"] == "task.progress"]
    assert steps_seen[-1] == steps, messages


def test_a_rolling_restart_loses_no_message_after_the_reconnect(deployment):
    proxy, apps = deployment

    async def reconnect(path):
        deadline = time.monotonic() + 5
        while True:
            try:
                return await websocket(proxy, path)
            except (OSError, ConnectionClosed, TimeoutError):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)

    async def scenario():
        first = await websocket(proxy, "/ws/chat/roll/")
        await asyncio.sleep(0.2)
        stopped = apps[0] if chat_sockets_of(apps[0]) == 1 else apps[1]
        survivor = apps[1] if stopped is apps[0] else apps[0]
        async with websocket(proxy, "/ws/chat/roll/") as second:
            assert chat_sockets_of(survivor) == 1
            stopping_at = time.monotonic()
            os.kill(stopped.pid, signal.SIGTERM)
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(first.recv(), 5)
            assert first.close_code == 1012  # uvicorn: service restart
            first = await reconnect("/ws/chat/roll/")
            reconnected_in = time.monotonic() - stopping_at
            sent = [f"after the restart {n}" for n in range(20)]
            for text in sent:
                await say(first, text)
            heard = [(await receive_chat(second))["message"] for _ in sent]
            assert heard == sent
            await say(second, "and back")
            await hear(first, "and back")
            await first.close()
        return stopped, reconnected_in

    stopped, reconnected_in = asyncio.run(scenario())
    assert reconnected_in < 3
    stopped.process.wait(timeout=10)
    log = stopped.log()
    assert "Finished server process" in log
    assert "Traceback" not in log and "ERROR" not in log, log
