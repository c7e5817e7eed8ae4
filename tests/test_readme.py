"""The README's two commands, run as a new user would type them."""

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from websockets.asyncio.client import connect

from tests.baking import TEMPLATE_DIR
from tests.browser import wait_until
from tests.servers import free_port

GENERATE_AND_RUN = (
    "pipx run cookiecutter gh:channels-starter/channels-starter"
    " && cd realtime_app && make run"
)
TEST = "make test"


def readme_commands():
    readme = (TEMPLATE_DIR / "README.md").read_text()
    return re.findall(r"```sh\n(.*?)\n```", readme, flags=re.DOTALL)


def test_the_readme_gives_exactly_these_two_commands():
    assert readme_commands() == [GENERATE_AND_RUN, TEST]


def wait_for_page(url, process, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the command stopped before serving"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} was not served within {timeout}s")


async def echo(url, origin):
    async with connect(url, origin=origin) as socket:
        await socket.send("ping")
        return await socket.recv()


def test_the_generate_command_bakes_installs_and_serves(tmp_path, request):
    """`make test` here is also the default bake's only run of its own suite, on
    this Python and the versions a fresh install resolves to (tests/test_bake.py
    leaves it here)."""
    port = free_port()
    command = GENERATE_AND_RUN.replace(
        "gh:channels-starter/channels-starter", f"{TEMPLATE_DIR} --no-input"
    ).replace("make run", f"make run ADDRESS=127.0.0.1:{port}")
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PIPX_HOME": str(tmp_path / "pipx"),
    }
    # No DATABASE_URL or TEST_REDIS_URL either: the suite starts its own servers.
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "TEST_REDIS_URL"):
        environment.pop(name, None)
    with open(tmp_path / "output.log", "wb") as log:
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        page = wait_for_page(f"http://127.0.0.1:{port}/", process, timeout=300)
        assert "Realtime App" in page
        reply = asyncio.run(
            echo(f"ws://127.0.0.1:{port}/ws/echo/", f"http://127.0.0.1:{port}")
        )
        assert reply == "ping"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)

    project = tmp_path / "realtime_app"
    tested = subprocess.run(
        TEST.split(),
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", tested.stdout)
    assert " skipped" not in tested.stdout.splitlines()[-1], tested.stdout[-2000:]

    # The baked README's production command, on the same install, with DEBUG off
    # as in production, and no origin setting: the chat page works in Chromium.
    port = free_port()
    with open(tmp_path / "serve.log", "wb") as log:
        process = subprocess.Popen(
            ["make", "serve"],
            cwd=project,
            env={
                **environment,
                "SERVER_BIND": f"127.0.0.1:{port}",
                "DJANGO_DEBUG": "false",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        health = wait_for_page(f"http://127.0.0.1:{port}/healthz", process, 120)
        assert health == '{"status": "ok"}'
        # Taken here: without Chromium (outside CI) the steps above still run.
        window = request.getfixturevalue("chromium")()
        window.get(f"http://127.0.0.1:{port}/chat/lobby/")
        state = (By.ID, "connection-state")
        wait_until(
            window,
            lambda: window.find_element(*state).get_attribute("data-state") == "open",
            message="the chat page's socket never opened under make serve",
        )
        window.find_element(By.ID, "chat-message-input").send_keys("hi", Keys.ENTER)
        log_box = (By.ID, "chat-log")
        wait_until(
            window,
            lambda: "hi" in window.find_element(*log_box).get_property("value"),
            message="the chat message never came back",
        )
        link = window.find_element(By.CSS_SELECTOR, 'link[rel="stylesheet"]')
        with urllib.request.urlopen(link.get_attribute("href"), timeout=5) as sheet:
            assert sheet.status == 200, "static files were not collected and served"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
