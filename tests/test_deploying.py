"""The baked README's "Deploying" steps, as written, on a PostgreSQL bake: then what a
browser behind the TLS proxy gets (HSTS, static files with their cache headers)."""

import os
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.baking import COMBINATIONS, bake
from tests.servers import Uvicorn, free_port
from tests.test_samples import BLOCK, section

PRODUCTION = {
    "DJANGO_SECRET_KEY": "deployment-" + "k7Q-x2" * 10,
    "DJANGO_ALLOWED_HOSTS": "example.com,127.0.0.1",
    "DJANGO_DEBUG": "false",
    "DJANGO_HTTPS": "true",
}


def get(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read().decode()


@pytest.fixture
def project(tmp_path, require_postgresql):
    require_postgresql()
    project = bake(tmp_path, **COMBINATIONS["postgresql"])
    (project / ".env").unlink()  # a server has no developer's .env
    return project


def test_deploying_as_the_readme_says(project, postgres_url, tmp_path):
    readme = (project / "README.md").read_text()
    steps = section(readme, "Deploying")
    for variable in (*PRODUCTION, "DATABASE_URL"):
        assert f"`{variable}" in steps, variable
    [(kind, _, block)] = BLOCK.findall(steps)
    assert kind == "sh"
    *commands, serve = [shlex.split(line) for line in block.strip().splitlines()]
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        **PRODUCTION,
        "DATABASE_URL": postgres_url,
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    # The template suite's interpreter stands in for the bake's .venv.
    for command in commands:
        assert command[0] == ".venv/bin/python", command
        result = subprocess.run(
            [sys.executable, *command[1:]],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    assert "System check identified no issues (2 silenced)." in result.stdout

    assert serve == [".venv/bin/python", "manage.py", "serve"]
    server = Uvicorn(
        project, tmp_path / "serve.log", port=free_port(), env=environment
    ).start()
    try:
        proxied = {"Host": "example.com", "X-Forwarded-Proto": "https"}
        status, headers, page = get(server.http_url + "/", **proxied)
        assert status == 200
        assert headers["Strict-Transport-Security"] == "max-age=3600"
        [stylesheet] = re.findall(r'href="(/static/site\.[0-9a-f]{12}\.css)"', page)
        status, headers, _ = get(server.http_url + stylesheet, **proxied)
        assert status == 200
        assert "max-age=315360000" in headers["Cache-Control"]
        status, _, login = get(server.http_url + "/admin/login/", **proxied)
        assert status == 200
        [admin_css] = re.findall(
            r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login
        )
        assert get(server.http_url + admin_css, **proxied)[0] == 200
        # Plain http is sent to https.
        with pytest.raises(urllib.error.HTTPError) as redirected:
            opener = urllib.request.build_opener(NoRedirect)
            opener.open(
                urllib.request.Request(
                    server.http_url + "/", headers={"Host": "example.com"}
                ),
                timeout=10,
            )
        assert redirected.value.code == 301
        assert redirected.value.headers["Location"] == "https://example.com/"
    finally:
        server.stop()
    assert "Traceback" not in server.log()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
