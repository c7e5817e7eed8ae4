"""The baked Dockerfile, built and run with podman: a one-off migrate into a volume,
then pages, websockets, the task worker (the image's second command), health, no
root, read-only code, data that outlives it.

No registry is needed: the base image is made here with debootstrap (Debian
bookworm with python3) and imported once, then passed as BASE_IMAGE. Without
podman the test is skipped, except under CI=true, where .ci/run installs it.
"""

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
import uuid

import pytest
from websockets.asyncio.client import connect

from tests.servers import RedisServer, free_port

BASE_IMAGE = "localhost/channels-starter-base:bookworm"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def require_podman():
    missing = [
        tool
        for tool in ("podman", "runc", "debootstrap")
        if not (shutil.which(tool) or os.path.exists(f"/usr/sbin/{tool}"))
    ]
    if not missing:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{', '.join(missing)} missing: .ci/run installs them")
    pytest.skip(f"needs {', '.join(missing)}")


@pytest.fixture(scope="session")
def podman(tmp_path_factory):
    """podman(*arguments): with runc, and a containers.conf this sandbox allows."""
    require_podman()
    directory = tmp_path_factory.mktemp("podman")
    conf = directory / "containers.conf"
    conf.write_text("[containers]\ndefault_ulimits = []\n")
    environment = {**os.environ, "CONTAINERS_CONF": str(conf)}

    def run(*arguments, timeout=600, check=True):
        result = subprocess.run(
            ["podman", "--runtime", "runc", *arguments],
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check:
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result

    if run("image", "exists", BASE_IMAGE, check=False).returncode != 0:
        root = directory / "root"
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3,python3-venv,ca-certificates",
                "bookworm",
                str(root),
                "http://deb.debian.org/debian",
            ],
            capture_output=True,
            check=True,
            timeout=900,
        )
        tar = subprocess.Popen(
            ["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE
        )
        subprocess.run(
            ["podman", "--runtime", "runc", "import", "-", BASE_IMAGE],
            stdin=tar.stdout,
            env=environment,
            capture_output=True,
            check=True,
            timeout=600,
        )
        tar.wait()
    return run


def readme_docker_runs(project):
    """The baked README's `docker run` lines: the one-off migrate, then the server."""
    readme = (project / "docs" / "deploying.md").read_text()
    migrate, serve = [
        row for row in readme.splitlines() if row.startswith("docker run ")
    ]
    assert migrate.endswith(" python3 manage.py migrate --no-input"), migrate
    assert " -p 8000:8000 " in serve and "migrate" not in serve, serve
    return migrate, serve


def run_environment(line):
    """The -e NAME=VALUE pairs of a `docker run` line."""
    return dict(re.findall(r"-e (\w+)=(\S+)", line))


def run_volumes(line):
    """The -v NAME:PATH pairs of a `docker run` line."""
    return dict(re.findall(r"-v ([\w.-]+):(/\S*)", line))


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def test_the_image_builds_and_serves_as_a_user_without_privileges(
    baked, podman, tmp_path
):
    project = baked("redis")
    tag = f"localhost/channels-starter-test:{uuid.uuid4().hex[:12]}"
    started = time.monotonic()
    podman(
        "build",
        "--format=docker",
        "--network=host",
        f"--volume={CA_BUNDLE}:{CA_BUNDLE}:ro",
        f"--build-arg=BASE_IMAGE={BASE_IMAGE}",
        f"--build-arg=PIP_CERT={CA_BUNDLE}",
        f"--tag={tag}",
        str(project),
        timeout=900,
    )
    built_in = time.monotonic() - started
    redis = RedisServer(tmp_path).start()
    port = free_port()
    name = f"channels-starter-test-{uuid.uuid4().hex[:12]}"
    worker = f"{name}-worker"
    volume = f"channels-starter-test-{uuid.uuid4().hex[:12]}"
    try:
        size = podman("image", "inspect", "--format={{.Size}}", tag).stdout.strip()
        print(f"\nimage: {int(size) / 1e6:.0f} MB, built in {built_in:.0f} s")
        # The image only serves: migrations are the README's one-off container.
        command = podman("image", "inspect", "--format={{json .Config.Cmd}}", tag)
        assert json.loads(command.stdout) == ["python3", "manage.py", "serve"]
        # The README's `docker run` lines, their environment as written (a
        # longer key) and their volume (a fresh one), on the host's network:
        # this sandbox maps no ports.
        migrate_line, serve_line = readme_docker_runs(project)
        readme_env = run_environment(serve_line)
        assert set(readme_env) == {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"}
        assert set(run_environment(migrate_line)) == {"DJANGO_SECRET_KEY"}
        [(_, data_dir)] = run_volumes(serve_line).items()
        assert run_volumes(migrate_line) == run_volumes(serve_line)
        assert data_dir == "/data"
        key = "--env=DJANGO_SECRET_KEY=" + "k" * 50
        mount = f"--volume={volume}:{data_dir}"
        migrated = podman(
            "run",
            "--rm",
            "--network=host",
            mount,
            key,
            tag,
            *migrate_line.split(f" {project.name} ", 1)[1].split(),
        )
        assert "Applying accounts.0001_initial... OK" in migrated.stdout
        podman(
            "run",
            "--detach",
            f"--name={name}",
            "--network=host",
            mount,
            key,
            f"--env=DJANGO_ALLOWED_HOSTS={readme_env['DJANGO_ALLOWED_HOSTS']}",
            f"--env=SERVER_BIND=127.0.0.1:{port}",
            f"--env=REDIS_URL={redis.url}",
            tag,
        )
        host = readme_env["DJANGO_ALLOWED_HOSTS"].split(",")[0]
        base = f"http://{host}:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                assert get(base + "/healthz") == (200, '{"status": "ok"}')
                break
            except OSError:
                assert time.monotonic() < deadline, podman("logs", name).stderr
                time.sleep(0.5)
        assert get(base + "/readyz") == (200, '{"status": "ready"}')
        status, page = get(base + "/chat/")
        assert status == 200 and "<html" in page.lower()
        podman("healthcheck", "run", name)

        async def sockets():
            origin = {"origin": base}
            async with connect(f"ws://{host}:{port}/ws/echo/", **origin) as echo:
                await echo.send("ping")
                assert await echo.recv() == "ping"
            async with (
                connect(f"ws://{host}:{port}/ws/chat/box/", **origin) as first,
                connect(f"ws://{host}:{port}/ws/chat/box/", **origin) as second,
            ):
                await first.send(json.dumps({"message": "in a box"}))
                reply = json.loads(await asyncio.wait_for(second.recv(), 5))
                while reply["type"] == "chat.presence":  # who is in the room
                    reply = json.loads(await asyncio.wait_for(second.recv(), 5))
                assert reply["message"] == "in a box"

        asyncio.run(sockets())
        # The image's second command: the task worker, in a container of its
        # own on the same volume, runs a job that the server's page started.
        podman(
            "run",
            "--detach",
            f"--name={worker}",
            "--network=host",
            mount,
            key,
            f"--env=REDIS_URL={redis.url}",
            tag,
            *("python3", "manage.py", "db_worker", "--no-reload"),
        )
        with urllib.request.urlopen(base + "/tasks/", timeout=10) as response:
            cookies = response.headers.get_all("Set-Cookie") or []
        session = next(c.split(";")[0] for c in cookies if c.startswith("sessionid="))

        async def job():
            async with connect(
                f"ws://{host}:{port}/ws/tasks/",
                origin=base,
                additional_headers={"Cookie": session},
            ) as socket:
                await socket.send(json.dumps({"action": "start", "steps": 3}))
                seen = [json.loads(await asyncio.wait_for(socket.recv(), 5))]
                while seen[-1]["type"] not in ("task.done", "task.failed"):
                    seen.append(json.loads(await asyncio.wait_for(socket.recv(), 30)))
                return seen

        seen = asyncio.run(job())
        assert seen[0]["type"] == "task.started" and seen[-1]["type"] == "task.done"
        assert [m["step"] for m in seen if m["type"] == "task.progress"][-1] == 3
        worker_logs = podman("logs", worker)
        assert "Traceback" not in worker_logs.stdout + worker_logs.stderr
        podman("rm", "--force", worker)
        user = podman("exec", name, "id", "-u").stdout.strip()
        assert user not in ("", "0")
        processes = podman("top", name, "user").stdout.split()[1:]
        assert processes and "root" not in processes
        # The app's user cannot change its code; /data is its one place to write.
        for path in ("/app", "/app/manage.py", "/app/config", "/venv"):
            tried = podman("exec", name, "test", "-w", path, check=False)
            assert tried.returncode != 0, f"{path} is writable by the app's user"
        podman("exec", name, "test", "-w", "/data")
        # The served container found the migrated database in the volume:
        # nothing left to apply, and a user created there outlives the container.
        podman("exec", name, "python3", "manage.py", "migrate", "--check")
        podman(
            "exec",
            name,
            "python3",
            "manage.py",
            "shell",
            "-c",
            "from accounts.models import User; User.objects.create(username='kept')",
        )
        logs = podman("logs", name)
        assert "Traceback" not in logs.stdout + logs.stderr
        assert "Applying " not in logs.stdout + logs.stderr
        podman("rm", "--force", name)
        count = podman(
            "run",
            "--rm",
            "--network=host",
            mount,
            key,
            tag,
            "python3",
            "manage.py",
            "shell",
            "-c",
            "from accounts.models import User; print(User.objects.count())",
        )
        assert count.stdout.split()[-1] == "1"  # after the shell's own notes
    finally:
        podman("rm", "--force", name, worker, check=False)
        podman("volume", "rm", "--force", volume, check=False)
        podman("rmi", "--force", tag, check=False)
        redis.stop()
