"""The baked README's "Deploying" steps, as written, on a PostgreSQL bake: then what a
browser behind the TLS proxy gets (HSTS, static files with their cache headers).
And compose.yaml of every combination, parsed: a `db` service exactly for PostgreSQL."""

import os
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml

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
    readme = (project / "docs" / "deploying.md").read_text()
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


# Compose's interpolation: ${NAME}, ${NAME:-default}, ${NAME-default},
# ${NAME:?error}, ${NAME?error}; $$ is a literal $.
VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}")


def interpolate(value, environment):
    """`value` as compose would read it with `environment` as the shell's."""

    def replace(match):
        if match[0] == "$$":
            return "$"
        name, operator, argument = match[1], match[2], match[3]
        value = environment.get(name)
        unset = value is None or (operator and operator[0] == ":" and value == "")
        if not unset:
            return value
        if operator and operator.endswith("?"):
            raise KeyError(f"{name}: {argument}")
        return interpolate(argument or "", environment)

    return VARIABLE.sub(replace, value)


def compose_of(project, environment):
    """compose.yaml's services and volumes, interpolated."""
    document = yaml.safe_load((project / "compose.yaml").read_text())

    def walk(node):
        if isinstance(node, dict):
            return {key: walk(item) for key, item in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, str):
            return interpolate(node, environment)
        return node

    return walk(document)


def built_services(compose):
    """The services that run the project's image: migrate, app, worker where present."""
    return {name: s for name, s in compose["services"].items() if "build" in s}


@pytest.mark.parametrize("combination", sorted(COMBINATIONS))
def test_compose_runs_postgresql_exactly_for_postgresql_bakes(baked, combination):
    project = baked(combination)
    postgresql = COMBINATIONS[combination].get("database") == "postgresql"
    text = (project / "compose.yaml").read_text()
    assert "cookiecutter" not in text and "{%" not in text

    required = {"DJANGO_SECRET_KEY": "k", "POSTGRES_PASSWORD": "pw0"}
    compose = compose_of(project, required)
    services = compose["services"]
    assert ("db" in services) == postgresql
    built = built_services(compose)
    assert "app" in built
    assert built["worker"]["command"][-2:] == ["db_worker", "--no-reload"]
    for name, service in built.items():
        assert ("DATABASE_URL" in service["environment"]) == postgresql, name
    # Migrations run once, in a one-off service that the others wait for; the
    # image itself only serves.
    migrate = built["migrate"]
    assert migrate["command"] == ["python3", "manage.py", "migrate", "--no-input"]
    assert migrate["restart"] == "no"
    for name, service in built.items():
        if name != "migrate":
            assert "command" not in service or "migrate" not in service["command"]
            assert service["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }, name
    if not postgresql:
        # SQLite: the database file in a named volume, at the image's /data
        # (its DATABASE_URL), shared by every service that runs the image.
        assert set(compose["volumes"]) == {"app-data"}
        for name, service in built.items():
            assert service["volumes"] == ["app-data:/data"], name
            assert "db" not in service.get("depends_on", {})
        dockerfile = (project / "Dockerfile").read_text()
        assert "DATABASE_URL=sqlite:////data/db.sqlite3" in dockerfile
        return
    assert "/data/db.sqlite3" not in (project / "Dockerfile").read_text()

    db = services["db"]
    assert db["image"].startswith("postgres:")
    [volume] = db["volumes"]
    volume_name, _, mount = volume.partition(":")
    assert volume_name in compose["volumes"], "a named volume, declared"
    assert mount == "/var/lib/postgresql/data"
    check = db["healthcheck"]["test"]
    assert check[0] == "CMD-SHELL" and check[1].startswith("pg_isready ")
    # The container's own variables, left for its shell: $$ in the file.
    assert '"${POSTGRES_USER}"' in check[1] and '"${POSTGRES_DB}"' in check[1]

    # No secret in the file: without POSTGRES_PASSWORD compose refuses to start.
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        compose_of(project, {"DJANGO_SECRET_KEY": "k"})

    # DATABASE_URL follows the db service's variables, defaults or set.
    chosen = {"POSTGRES_USER": "alice", "POSTGRES_DB": "shop", **required}
    for environment in (required, chosen):
        compose = compose_of(project, environment)
        credentials = compose["services"]["db"]["environment"]
        for name, service in built_services(compose).items():
            url = urllib.parse.urlsplit(service["environment"]["DATABASE_URL"])
            assert url.scheme == "postgresql", name
            assert (url.hostname, url.port) == ("db", 5432), name
            assert url.username == credentials["POSTGRES_USER"], name
            assert url.password == credentials["POSTGRES_PASSWORD"], name
            assert url.path == "/" + credentials["POSTGRES_DB"], name
            depends_on = service["depends_on"]
            assert depends_on["db"] == {"condition": "service_healthy"}, name
    assert credentials["POSTGRES_USER"] == "alice"
    assert credentials["POSTGRES_PASSWORD"] == "pw0"
