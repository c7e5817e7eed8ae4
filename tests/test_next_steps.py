"""What the post-generation "next steps" tell a new user to run, run: `make redis`."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from tests.baking import TEMPLATE_DIR
from tests.servers import free_port

VENV = Path(sys.executable).parent.parent


def make_redis(project, port):
    """`make redis` in the bake, on this suite's venv (marked installed: no pip)."""
    return subprocess.Popen(
        [
            *("make", "--no-print-directory", "redis"),
            f"VENV={VENV}",
            f"REDIS_PORT={port}",
            *("-o", f"{VENV}/.installed"),
        ],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # make, python and redis-server: one group
    )


def announcement(process):
    """The line that says the server is up, after make's echo of its command;
    "" when the process ends without one."""
    for line in process.stdout:
        if not line.startswith(str(VENV)):
            return line
    return ""


@pytest.fixture
def redis_bake(baked):
    if not (VENV / ".installed").exists():
        pytest.skip("needs the template's venv (make install)")
    return baked("redis")


def test_the_next_steps_name_a_way_to_get_each_server():
    sys.path.insert(0, str(TEMPLATE_DIR / "hooks"))
    try:
        import post_gen_project
    finally:
        sys.path.pop(0)
    steps = post_gen_project.next_steps("shop", "redis", "postgresql")
    assert "make redis" in steps and "apt install redis-server" in steps
    assert "brew install redis" in steps
    assert "apt install postgresql" in steps and "createdb shop" in steps
    assert "DATABASE_URL=postgresql://USER:PASSWORD@127.0.0.1:5432/shop" in steps
    plain = post_gen_project.next_steps("shop", "in-memory", "sqlite")
    assert "redis" not in plain.lower() and "postgres" not in plain.lower()


def test_make_redis_serves_a_private_redis_until_stopped(redis_bake):
    port = free_port()
    process = make_redis(redis_bake, port)
    try:
        line = announcement(process)
        assert line.startswith(f"Redis at redis://127.0.0.1:{port}/0 "), line
        client = redis.Redis(port=port)
        assert client.ping()
        client.set("made-by", "make redis")
        assert client.get("made-by") == b"make redis"
        client.close()
    finally:
        # What Ctrl-C does in a terminal; SIGINT itself is ignored by processes
        # started in the background, as under CI.
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    with pytest.raises(redis.ConnectionError):
        redis.Redis(port=port, socket_connect_timeout=1).ping()


def test_make_redis_on_a_taken_port_says_so_and_fails(redis_bake):
    port = free_port()
    first = make_redis(redis_bake, port)
    try:
        assert announcement(first).startswith("Redis at ")
        second = make_redis(redis_bake, port)
        _, errors = second.communicate(timeout=60)
        assert second.returncode != 0
        assert f"Port {port} is taken" in errors
        assert "Traceback" not in errors
    finally:
        os.killpg(first.pid, signal.SIGTERM)
        first.wait(timeout=20)


def test_in_memory_bakes_have_no_redis_target(baked):
    makefile = (baked("in-memory") / "Makefile").read_text()
    assert "redis" not in makefile.lower()
