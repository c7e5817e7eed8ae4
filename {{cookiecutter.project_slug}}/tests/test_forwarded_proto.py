"""With DJANGO_HTTPS, X-Forwarded-Proto makes a request secure only from a proxy in
SERVER_FORWARDED_ALLOW_IPS (`manage.py serve` believes it), never from anyone.

Before this test: SECURE_PROXY_SSL_HEADER believed any client's
X-Forwarded-Proto, with no proxy configured.
"""

import urllib.error
import urllib.request

import pytest

from tests.live_server import LiveServer
from tests.web import NoRedirects

pytestmark = pytest.mark.live

HTTPS = {"DJANGO_HTTPS": "true"}


def status_of(server, headers):
    opener = urllib.request.build_opener(NoRedirects())
    request = urllib.request.Request(server.http_url + "/", headers=headers)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(params=["127.0.0.1", "10.9.9.9"], ids=["trusted", "untrusted"])
def server(request, tmp_path):
    live = LiveServer(
        tmp_path / "serve.log",
        env={**HTTPS, "SERVER_FORWARDED_ALLOW_IPS": request.param},
        server="serve",
    )
    live.start()
    yield live
    live.stop()


def test_forwarded_https_is_believed_only_from_a_trusted_proxy(server):
    trusted = server.environment["SERVER_FORWARDED_ALLOW_IPS"] == "127.0.0.1"
    forwarded = status_of(server, {"X-Forwarded-Proto": "https"})
    assert forwarded == (200 if trusted else 301)
    assert status_of(server, {}) == 301  # plain http: redirected to https
