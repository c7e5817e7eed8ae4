"""The demo pages keep the Channels tutorial's element ids; unknown paths are 404."""

import pytest


def test_the_landing_page_links_the_demos(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/chat/"' in response.content
    assert b'href="/tasks/"' in response.content


def test_the_chat_index_asks_for_a_room(client):
    response = client.get("/chat/")
    assert response.status_code == 200
    for element_id in (b"room-name-input", b"room-name-submit"):
        assert b'id="' + element_id + b'"' in response.content


def test_a_room_page_has_the_log_the_input_and_the_room_name(client):
    response = client.get("/chat/lobby/")
    assert response.status_code == 200
    for element_id in (
        b"chat-log",
        b"chat-message-input",
        b"chat-message-submit",
        b"connection-state",
    ):
        assert b'id="' + element_id + b'"' in response.content
    assert b'<script id="room-name" type="application/json">"lobby"</script>' in (
        response.content
    )


def test_the_tasks_page_has_the_controls_the_bar_and_the_connection_state(client):
    response = client.get("/tasks/")
    assert response.status_code == 200
    for element_id in (
        b"task-steps",
        b"task-start",
        b"task-cancel",
        b"task-progress",
        b"task-status",
        b"connection-state",
    ):
        assert b'id="' + element_id + b'"' in response.content
    assert b"function reconnectingSocket" in response.content


@pytest.mark.parametrize("url", ["/chat/caf%C3%A9/", "/nope/", "/ws/echo/"])
def test_unknown_pages_are_404(client, url):
    assert client.get(url).status_code == 404
