"""The chat demo in a real browser: rooms, connection state, and reconnection."""

import re
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser import wait_until
from tests.servers import Daphne

pytestmark = pytest.mark.browser


def connection_state(window):
    return window.find_element(By.ID, "connection-state").get_attribute("data-state")


def state_text(window):
    return window.find_element(By.ID, "connection-state").text


def chat_log(window):
    return window.find_element(By.ID, "chat-log").get_property("value")


def presence_line(window):
    return window.find_element(By.ID, "chat-presence").text


def open_room(window, server, room):
    window.get(f"{server.http_url}/chat/{room}/")
    wait_until(window, lambda: connection_state(window) == "open", message="never open")


def say(window, text):
    window.find_element(By.ID, "chat-message-input").send_keys(text, Keys.ENTER)


def seconds_left(text):
    return int(re.search(r"reconnecting in (\d+) s$", text).group(1))


def test_every_page_links_every_demo_and_marks_its_own(baked, daphne, chromium):
    server = daphne(baked("in-memory"))
    window = chromium()
    for path, current in [
        ("/", "/"),
        ("/chat/", "/chat/"),
        ("/chat/lobby/", "/chat/"),
        ("/tasks/", "/tasks/"),
    ]:
        window.get(server.http_url + path)
        links = window.find_elements(By.CSS_SELECTOR, "nav a")
        assert [link.get_dom_attribute("href") for link in links] == [
            "/",
            "/chat/",
            "/tasks/",
            "/notifications/",
        ], path
        marked = [link for link in links if link.get_dom_attribute("aria-current")]
        assert [link.get_dom_attribute("href") for link in marked] == [current], path


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
    # Who is in each room, on its page; not in the log.
    for window, here in ((alice, 2), (bob, 2), (carol, 1)):
        line = f"In the room: {here} anonymous"
        wait_until(window, lambda w=window, t=line: presence_line(w) == t)


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


def test_a_rate_limited_page_says_so_and_waits_before_reconnecting(
    baked, daphne, chromium
):
    server = daphne(baked("in-memory"))
    window = chromium()
    open_room(window, server, "flood")
    # More than WEBSOCKET_RATE_BURST (40) messages at once, through the Send button.
    window.execute_script(
        """
        const input = document.querySelector('#chat-message-input');
        const send = document.querySelector('#chat-message-submit');
        for (let i = 0; i < 60; i += 1) {
            input.value = 'flood ' + i;
            send.click();
        }
        """
    )
    wait_until(window, lambda: "rate-limited" in state_text(window), message="not told")
    assert connection_state(window) == "reconnecting"
    texts = {state_text(window)}
    assert seconds_left(state_text(window)) >= 9
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        assert connection_state(window) == "reconnecting", "reconnected too soon"
        texts.add(state_text(window))
        time.sleep(0.1)
    assert all(text.startswith("rate-limited, reconnecting in ") for text in texts)
    assert len({seconds_left(text) for text in texts}) >= 4, "no countdown"


def test_a_message_typed_while_the_server_is_down_stays_in_the_input(
    baked, daphne, chromium
):
    server = daphne(baked("in-memory"))
    window = chromium()
    open_room(window, server, "offline")
    server.stop()
    wait_until(window, lambda: connection_state(window) == "reconnecting")
    assert state_text(window).startswith("connection lost, reconnecting in ")

    say(window, "into the void")
    notice = window.find_element(By.ID, "chat-notice")
    wait_until(window, lambda: "not sent" in notice.text, message="not told")
    assert "not connected" in notice.text
    field = window.find_element(By.ID, "chat-message-input")
    assert field.get_property("value") == "into the void"
