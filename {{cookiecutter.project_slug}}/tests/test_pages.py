"""The home page links every demo; unknown paths are 404."""

import pytest


def test_the_home_page_links_every_demo(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/chat/"' in response.content
    assert b'href="/tasks/"' in response.content


@pytest.mark.parametrize("url", ["/nope/", "/ws/echo/"])
def test_unknown_pages_are_404(client, url):
    assert client.get(url).status_code == 404
