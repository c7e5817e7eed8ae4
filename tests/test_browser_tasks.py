"""The long-task demo in a real browser, with a real task worker: the bar resumes
after a reload; cancel."""

import pytest
from selenium.webdriver.common.by import By

from tests.browser import wait_until

pytestmark = pytest.mark.browser

SLOW_ENOUGH_TO_RELOAD = {"TASK_STEP_SECONDS": "0.05"}


def own_database(tmp_path):
    """Slow steps, on a database of the test's own: no other test's job queues first."""
    return {
        **SLOW_ENOUGH_TO_RELOAD,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }


def text_of(window, element_id):
    return window.find_element(By.ID, element_id).text


def attribute(window, element_id, name):
    return window.find_element(By.ID, element_id).get_attribute(name)


def progress(window):
    return int(float(attribute(window, "task-progress", "value")))


def open_tasks_page(window, server):
    window.get(f"{server.http_url}/tasks/")
    wait_until(
        window,
        lambda: attribute(window, "connection-state", "data-state") == "open",
        message="the socket never opened",
    )


def start_task(window, steps):
    field = window.find_element(By.ID, "task-steps")
    field.clear()
    field.send_keys(str(steps))
    window.find_element(By.ID, "task-start").click()
    wait_until(window, lambda: progress(window) >= 3, message="no progress")
    return text_of(window, "task-id")


def test_the_bar_resumes_after_a_reload_and_reaches_done(
    baked, daphne, task_worker, chromium, tmp_path
):
    project, env = baked("in-memory"), own_database(tmp_path)
    server = daphne(project, **env)
    task_worker(project, **env)
    window = chromium()
    open_tasks_page(window, server)
    task_id = start_task(window, 60)
    assert len(task_id) == 32

    window.refresh()
    open_tasks_page(window, server)
    wait_until(window, lambda: progress(window) >= 3, message="did not resume")
    assert text_of(window, "task-id") == task_id
    wait_until(
        window,
        lambda: attribute(window, "task-status", "data-status") == "done",
        message="never done",
    )
    assert progress(window) == 60
    assert text_of(window, "task-error") == ""


def test_cancel_stops_the_bar_and_a_reload_still_shows_cancelled(
    baked, daphne, task_worker, chromium, tmp_path
):
    project, env = baked("in-memory"), own_database(tmp_path)
    server = daphne(project, **env)
    task_worker(project, **env)
    window = chromium()
    open_tasks_page(window, server)
    start_task(window, 1000)
    window.find_element(By.ID, "task-cancel").click()
    wait_until(
        window,
        lambda: attribute(window, "task-status", "data-status") == "cancelled",
        message="never cancelled",
    )
    stopped_at = progress(window)
    assert not window.find_element(By.ID, "task-cancel").is_enabled()

    window.refresh()
    open_tasks_page(window, server)
    wait_until(
        window,
        lambda: attribute(window, "task-status", "data-status") == "cancelled",
        message="the reload lost the cancelled state",
    )
    assert progress(window) <= stopped_at + 1


def test_with_no_worker_the_page_says_to_start_one(baked, daphne, chromium, tmp_path):
    project = baked("in-memory")
    server = daphne(project, TASK_LOST_SECONDS="1", **own_database(tmp_path))
    window = chromium()
    open_tasks_page(window, server)
    window.find_element(By.ID, "task-start").click()
    wait_until(
        window,
        lambda: attribute(window, "task-status", "data-status") == "waiting",
        message="never said it waits for a worker",
    )
    assert "make worker" in text_of(window, "task-status")
    assert window.find_element(By.ID, "task-cancel").is_enabled()
