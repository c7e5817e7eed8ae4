"""Websocket tickets: one user, one handshake, a short while, no cookie needed."""

import logging

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from realtime_kit.tickets import TicketRefused, issue_ticket, redeem_ticket
from tests.clients import ORIGIN, communicator, logged_in_browser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def ada():
    return await get_user_model().objects.acreate(username="ada")


@pytest.fixture(autouse=True)
def _whoami(whoami_path):
    """Every handshake here goes to /ws/test/whoami/ (tests/consumers.py)."""


async def handshake(ticket, origin=ORIGIN, cookie=None):
    """Connect with `ticket`; (connected, subprotocol, client)."""
    client = communicator(
        "/ws/test/whoami/",
        origin=origin,
        cookie=cookie,
        subprotocols=["ticket", ticket],
    )
    connected, subprotocol = await client.connect()
    return connected, subprotocol, client


async def who_am_i(client):
    await client.send_to(text_data="?")
    return await client.receive_from()


async def test_a_ticket_opens_a_socket_as_its_user_without_a_cookie(ada):
    ticket, _ = issue_ticket(ada)
    connected, subprotocol, client = await handshake(ticket)
    assert connected
    assert subprotocol == "ticket"
    assert await who_am_i(client) == "ada"
    await client.disconnect()


async def test_with_a_ticket_no_cookie_is_consulted(ada):
    other = await get_user_model().objects.acreate(username="grace")
    browser = await logged_in_browser(other)
    ticket, _ = issue_ticket(ada)
    connected, _, client = await handshake(ticket, cookie=browser.cookie)
    assert connected
    assert await who_am_i(client) == "ada"
    await client.disconnect()


@pytest.mark.parametrize("kind", ["forged", "expired", "reused", "inactive"])
async def test_a_bad_ticket_is_refused_with_one_warning_that_hides_it(
    ada, kind, settings, caplog
):
    caplog.set_level(logging.INFO)
    ticket, _ = issue_ticket(ada)
    if kind == "forged":
        body, ts, signature = ticket.split(".")
        ticket = f"{body}.{ts}.{signature[::-1]}"
    elif kind == "expired":
        settings.WEBSOCKET_TICKET_SECONDS = -1
    elif kind == "reused":
        connected, _, first = await handshake(ticket)
        assert connected
        await first.disconnect()
        caplog.clear()
    else:
        ada.is_active = False
        await ada.asave()
    connected, _, _ = await handshake(ticket)
    assert not connected
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.levelname == "WARNING"
    assert "ticket" in record.getMessage()
    assert ticket not in record.getMessage()
    assert ticket.split(".")[2] not in caplog.text


async def test_redeeming_tells_why(ada, settings):
    ticket, seconds = issue_ticket(ada)
    assert seconds == settings.WEBSOCKET_TICKET_SECONDS == 60
    assert await redeem_ticket(ticket) == (ada, "")
    with pytest.raises(TicketRefused, match="used already"):
        await redeem_ticket(ticket)
    with pytest.raises(TicketRefused, match="forged"):
        await redeem_ticket("not.a.ticket")


def test_a_logged_in_user_gets_a_ticket_by_post_with_csrf(django_user_model):
    user = django_user_model.objects.create_user("ada")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post("/accounts/ws-ticket/").status_code == 403  # no CSRF token
    browser.get("/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    response = browser.post("/accounts/ws-ticket/", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == 60
    assert body["ticket"].count(".") == 2
    assert browser.get("/accounts/ws-ticket/").status_code == 405


async def test_a_ticket_still_needs_an_allowed_origin(ada):
    ticket, _ = issue_ticket(ada)
    connected, _, _ = await handshake(ticket, origin=None)
    assert not connected
    connected, _, _ = await handshake(ticket, origin=b"http://evil.example")
    assert not connected


def ticket_for(browser):
    browser.get("/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    response = browser.post("/accounts/ws-ticket/", headers={"X-CSRFToken": token})
    return response.json()["ticket"], token


async def test_a_ticket_of_a_session_that_logged_out_opens_nothing(ada):
    browser = Client(enforce_csrf_checks=True)
    await sync_to_async(browser.force_login)(ada)
    ticket, token = await sync_to_async(ticket_for)(browser)
    logout = sync_to_async(browser.post)
    await logout("/accounts/logout/", headers={"X-CSRFToken": token})
    connected, _, _ = await handshake(ticket)
    assert not connected


def test_an_anonymous_visitor_gets_no_ticket(client):
    assert client.post("/accounts/ws-ticket/").status_code == 302  # to login


async def test_the_command_prints_a_ticket_that_works(ada, capsys):
    await sync_to_async(call_command)("ws_ticket", "ada")
    ticket = capsys.readouterr().out.strip()
    connected, _, client = await handshake(ticket)
    assert connected
    await client.disconnect()
