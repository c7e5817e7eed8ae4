"""The home page; unknown paths are 404."""

import pytest


def test_the_home_page_is_served(client):
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("url", ["/nope/", "/ws/echo/"])
def test_unknown_pages_are_404(client, url):
    assert client.get(url).status_code == 404
