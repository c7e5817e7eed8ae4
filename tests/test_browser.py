"""The chat demo in a real browser: rooms, connection state, and reconnection."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser import wait_until
from tests.servers import Daphne

pytestmark = pytest.mark.browser


def connection_state(window):
    return window.find_element(By.ID, "connection-state").get_attribute("data-state")


def chat_log(window):
    return window.find_element(By.ID, "chat-log").get_property("value")


def open_room(window, server, room):
    window.get(f"{server.http_url}/chat/{room}/")
    wait_until(window, lambda: connection_state(window) == "open", message="never open")


def say(window, text):
    window.find_element(By.ID, "chat-message-input").send_keys(text, Keys.ENTER)


def test_the_room_name_input_leads_to_the_room(baked, daphne, chromium):
    server = daphne(baked("in-memory"))
    window = chromium()
    window.get(f"{server.http_url}/chat/")
    focused = window.switch_to.active_element
    assert focused.get_attribute("id") == "room-name-input"
    focused.send_keys("lobby", Keys.ENTER)
    wait_until(window, lambda: window.current_url.endswith("/chat/lobby/"))
    assert window.switch_to.active_element.get_attribute("id") == "chat-message-input"


def test_two_windows_talk_and_another_room_hears_nothing(baked, daphne, chromium):
    server = daphne(baked("in-memory"))
    alice, bob, carol = chromium(), chromium(), chromium()
    open_room(alice, server, "garden")
    open_room(bob, server, "garden")
    open_room(carol, server, "cellar")

    say(alice, "hello from alice")
    wait_until(bob, lambda: "hello from alice" in chat_log(bob))
    say(bob, "hello from bob")
    wait_until(alice, lambda: "hello from bob" in chat_log(alice))
    assert "hello from alice" in chat_log(alice)
    assert chat_log(carol) == ""


def test_the_page_reconnects_by_itself_after_a_server_restart(
    baked, tmp_path, chromium
):
    project = baked("in-memory")
    server = Daphne(project, tmp_path / "first.log").start()
    try:
        alice, bob = chromium(), chromium()
        open_room(alice, server, "restart")
        open_room(bob, server, "restart")
        for window in (alice, bob):
            window.execute_script("window.notReloaded = true;")

        server.stop()
        for window in (alice, bob):
            wait_until(window, lambda w=window: connection_state(w) == "reconnecting")

        server = Daphne(project, tmp_path / "second.log", port=server.port).start()
        for window in (alice, bob):
            wait_until(
                window,
                lambda w=window: connection_state(w) == "open",
                timeout=30,
                message="did not reconnect",
            )
            assert window.execute_script("return window.notReloaded === true;")

        say(alice, "after the restart")
        wait_until(bob, lambda: "after the restart" in chat_log(bob))
    finally:
        server.stop()
