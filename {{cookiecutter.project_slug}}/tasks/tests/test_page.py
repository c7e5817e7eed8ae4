"""The long-task page has its controls, its bar and the connection state."""

import pytest

# The page makes sure the browser has a session: tasks belong to it.
pytestmark = pytest.mark.django_db


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
    assert b"(make worker)" in response.content  # what a job no worker took says


def test_the_home_page_links_the_tasks(client):
    assert b'href="/tasks/"' in client.get("/").content
