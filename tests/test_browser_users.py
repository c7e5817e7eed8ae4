"""Users in a real browser: sign up, chat under your name, hear a notification, log out.

On a Redis bake, so that `manage.py notify`, a process of its own, reaches the
server's sockets.
"""

import re
import secrets
import subprocess
import sys

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser import wait_until

pytestmark = pytest.mark.browser

PASSWORD = "a long enough passphrase 42"


def text_of(window, element_id):
    return window.find_element(By.ID, element_id).text


def state_of(window):
    return window.find_element(By.ID, "connection-state").get_attribute("data-state")


def sign_up(window, server, username):
    window.get(f"{server.http_url}/accounts/signup/")
    window.find_element(By.NAME, "username").send_keys(username)
    window.find_element(By.NAME, "password1").send_keys(PASSWORD)
    window.find_element(By.NAME, "password2").send_keys(PASSWORD)
    window.find_element(By.ID, "signup-submit").click()
    wait_until(window, lambda: text_of(window, "current-user") == username)


def open_page(window, server, path):
    window.get(f"{server.http_url}{path}")
    wait_until(window, lambda: state_of(window) == "open", message=f"{path} not open")


def test_sign_up_chat_under_your_name_hear_a_notification_log_out(
    baked, daphne, redis_url, chromium, tmp_path
):
    project = baked("redis")
    server = daphne(project, REDIS_URL=redis_url)
    username = f"grace{secrets.token_hex(3)}"
    window = chromium()
    sign_up(window, server, username)

    open_page(window, server, "/chat/lobby/")
    window.find_element(By.ID, "chat-message-input").send_keys("hello", Keys.ENTER)
    log = window.find_element(By.ID, "chat-log")
    wait_until(window, lambda: f"{username}: hello" in log.get_property("value"))

    open_page(window, server, "/notifications/")
    subprocess.run(
        [sys.executable, "manage.py", "notify", username, "Hello from the shell"],
        cwd=project,
        env=server.environment,
        check=True,
        timeout=60,
    )
    wait_until(
        window, lambda: "Hello from the shell" in text_of(window, "notification-list")
    )
    # The page's own form: sent by the server, heard by this page's socket.
    window.find_element(By.ID, "notify-message").send_keys("Hello from the form")
    window.find_element(By.ID, "notify-submit").click()
    wait_until(
        window, lambda: "Hello from the form" in text_of(window, "notification-list")
    )
    assert window.find_element(By.ID, "notify-message").get_property("value") == ""
    window.save_screenshot(str(tmp_path / "notifications.png"))

    # Log out in another tab of the same browser: this tab's socket is closed.
    notifications_tab = window.current_window_handle
    window.switch_to.new_window("tab")
    window.get(f"{server.http_url}/")
    window.find_element(By.ID, "logout-submit").click()
    wait_until(window, lambda: not window.find_elements(By.ID, "current-user"))
    window.switch_to.window(notifications_tab)
    wait_until(window, lambda: state_of(window) == "closed", timeout=5)
    assert "logged out" in text_of(window, "connection-state")


def rgb(css_colour):
    """(r, g, b) of a computed colour, "rgba(207, 34, 46, 1)" or "rgb(...)"."""
    return tuple(int(part) for part in re.findall(r"\d+", css_colour)[:3])


def assert_red(window, selector):
    """Every element of `selector` is red-ish: not the help text's grey."""
    elements = window.find_elements(By.CSS_SELECTOR, selector)
    assert elements, f"no {selector} on {window.current_url}"
    for element in elements:
        red, green, blue = rgb(element.value_of_css_property("color"))
        assert red > 150 and green < 110 and blue < 110, (
            element.text,
            red,
            green,
            blue,
        )


@pytest.mark.parametrize("width", [1280, 375])
def test_form_errors_are_red_not_the_help_texts_grey(baked, daphne, chromium, width):
    server = daphne(baked("in-memory"))
    window = chromium()
    window.set_window_size(width, 900)
    window.get(f"{server.http_url}/accounts/login/")
    window.find_element(By.NAME, "username").send_keys("nobody")
    window.find_element(By.NAME, "password").send_keys("wrong password")
    window.find_element(By.ID, "login-submit").click()
    wait_until(window, lambda: window.find_elements(By.CSS_SELECTOR, ".errorlist"))
    assert_red(window, ".errorlist li")

    window.get(f"{server.http_url}/accounts/signup/")
    window.find_element(By.NAME, "username").send_keys("ada")
    window.find_element(By.NAME, "password1").send_keys(PASSWORD)
    window.find_element(By.NAME, "password2").send_keys(PASSWORD + "x")
    window.find_element(By.ID, "signup-submit").click()
    wait_until(window, lambda: window.find_elements(By.CSS_SELECTOR, ".errorlist"))
    assert_red(window, ".errorlist li")
    # The help text stays grey, so the two are told apart.
    help_text = window.find_element(By.CSS_SELECTOR, ".helptext")
    assert rgb(help_text.value_of_css_property("color")) == (89, 99, 110)
