"""Every page has a Content-Security-Policy; the pages' own scripts carry its nonce.

Before this test: no Content-Security-Policy at all.
"""

import re

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/accounts/login/",
    "/chat/",
    "/chat/lobby/",
    "/tasks/",
    "/notifications/",
]


def policy_of(response):
    header = response.headers["Content-Security-Policy"]
    return dict(
        (part.split()[0], part.split()[1:]) for part in header.split("; ") if part
    )


@pytest.mark.parametrize("path", PAGES)
def test_each_page_allows_only_its_own_scripts_and_connections(client, path):
    user = get_user_model().objects.create_user("ada", password="x" * 20)
    client.force_login(user)
    response = client.get(path)
    if response.status_code == 404:
        pytest.skip(f"{path}: that sample app was deleted")
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]  # ws/wss to this host included
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    page = response.content.decode()
    nonces = set(re.findall(r'<script nonce="([^"]*)"', page))
    # json_script's data blocks (type="application/json") never run.
    scripts = re.findall(r"<script(?![^>]*application/json)[^>]*>", page)
    assert all("nonce=" in tag for tag in scripts), "a script the policy blocks"
    for nonce in nonces:
        assert f"'nonce-{nonce}'" in policy["script-src"]
