"""A logout closes its session's sockets with 4001 and refuses its unused tickets
(realtime_kit/sessions.py, realtime_kit/tickets.py), through the bake's real
logout view and its whole websocket stack, on this bake's channel layer."""

import logging

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.clients import communicator, logged_in_browser, open_websocket

pytestmark = pytest.mark.django_db(transaction=True)

SESSION_ENDED = {"type": "websocket.close", "code": 4001}


@pytest.fixture
async def user():
    return await get_user_model().objects.acreate(username="kit-sessions")


async def log_out(browser):
    response = await sync_to_async(browser.post)(reverse("logout"))
    assert response.status_code == 302


async def ticket_of(browser):
    response = await sync_to_async(browser.post)(reverse("ws-ticket"))
    assert response.status_code == 200
    return response.json()["ticket"]


async def still_open(client, text="still here"):
    await client.send_to(text_data=text)
    return await client.receive_from(timeout=5) == "kit-sessions"


async def test_a_logout_closes_that_sessions_sockets_and_no_others(user, whoami_path):
    leaving = await logged_in_browser(user)
    staying = await logged_in_browser(user)
    async with (
        open_websocket(whoami_path, cookie=leaving.cookie) as first,
        open_websocket(whoami_path, cookie=leaving.cookie) as second,
        open_websocket(whoami_path, cookie=staying.cookie) as other,
        open_websocket(whoami_path) as anonymous,
    ):
        assert await still_open(first)
        await log_out(leaving)
        assert await first.receive_output(timeout=5) == SESSION_ENDED
        assert await second.receive_output(timeout=5) == SESSION_ENDED
        assert await still_open(other)
        await anonymous.send_to(text_data="hi")
        assert await anonymous.receive_from(timeout=5) == "anonymous"
        assert await other.receive_nothing(timeout=0.2)


async def test_a_ticket_socket_closes_when_the_session_that_asked_logs_out(
    user, whoami_path
):
    asking = await logged_in_browser(user)
    other = await logged_in_browser(user)
    ticket = await ticket_of(asking)
    other_ticket = await ticket_of(other)
    async with (
        open_websocket(whoami_path, subprotocols=["ticket", ticket]) as by_ticket,
        open_websocket(whoami_path, subprotocols=["ticket", other_ticket]) as kept,
    ):
        assert await still_open(by_ticket)
        await log_out(asking)
        assert await by_ticket.receive_output(timeout=5) == SESSION_ENDED
        assert await still_open(kept)


async def test_an_unused_ticket_is_refused_after_its_sessions_logout(
    user, whoami_path, caplog
):
    browser = await logged_in_browser(user)
    ticket = await ticket_of(browser)
    await log_out(browser)
    client = communicator(whoami_path, subprotocols=["ticket", ticket])
    connected, _ = await client.connect()
    assert not connected
    [line] = [r for r in caplog.records if r.name == "realtime_kit.tickets"]
    assert line.levelno == logging.WARNING
    assert "of a session that logged out" in line.getMessage()


async def test_a_ticket_of_a_session_still_logged_in_opens_one_socket(
    user, whoami_path
):
    browser = await logged_in_browser(user)
    ticket = await ticket_of(browser)
    async with open_websocket(whoami_path, subprotocols=["ticket", ticket]) as client:
        assert await still_open(client)
    again = communicator(whoami_path, subprotocols=["ticket", ticket])
    assert not (await again.connect())[0]
