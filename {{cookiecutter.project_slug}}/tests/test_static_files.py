"""Static files in production: collectstatic, then daphne with DEBUG off serves them
hashed, compressed and cached, the admin's included."""

import gzip
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.live_server import PROJECT_DIR, LiveServer

pytestmark = pytest.mark.live

TEN_YEARS = "max-age=315360000"


def get(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    """collectstatic into a fresh STATIC_ROOT, then daphne on the project's settings."""
    directory = tmp_path_factory.mktemp("production")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_STATIC_ROOT": str(directory / "static"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=PROJECT_DIR,
        env=environment,
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = LiveServer(
        directory / "daphne.log",
        settings_module="config.settings",
        env={key: environment[key] for key in ("DJANGO_DEBUG", "DJANGO_STATIC_ROOT")},
    )
    server.start()
    yield server
    server.stop()


def stylesheets(server, page):
    _, _, body = get(server.http_url + page)
    return re.findall(r'<link[^>]+href="(/static/[^"]+\.css)"', body.decode())


@pytest.mark.parametrize(
    ("page", "stylesheet"),
    [("/", "site"), ("/admin/login/", "admin/css/base")],
    ids=["project", "admin"],
)
def test_stylesheets_are_hashed_compressed_and_cached_for_years(
    production_server, page, stylesheet
):
    [href] = [
        href
        for href in stylesheets(production_server, page)
        if re.fullmatch(f"/static/{stylesheet}" + r"\.[0-9a-f]{12}\.css", href)
    ]
    status, headers, body = get(
        production_server.http_url + href, **{"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert TEN_YEARS in headers["Cache-Control"]
    assert "immutable" in headers["Cache-Control"]
    assert headers["Content-Encoding"] == "gzip"
    assert b"{" in gzip.decompress(body)


def test_unhashed_names_are_served_briefly_cached(production_server):
    status, headers, body = get(production_server.http_url + "/static/site.css")
    assert status == 200
    assert TEN_YEARS not in headers["Cache-Control"]
    assert "max-age=" in headers["Cache-Control"]
    assert body == (PROJECT_DIR / "static" / "site.css").read_bytes()


def test_an_unknown_file_is_404_and_nothing_is_logged_as_an_error(production_server):
    with pytest.raises(urllib.error.HTTPError) as missing:
        get(production_server.http_url + "/static/no-such-file.css")
    assert missing.value.code == 404
    assert " ERROR " not in production_server.log()
    assert "Traceback" not in production_server.log()
