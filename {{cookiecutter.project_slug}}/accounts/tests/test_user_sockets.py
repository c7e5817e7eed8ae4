"""Deactivating a user, or changing their password, closes every socket they
have (4001), whatever the session or ticket that opened it; others stay."""

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from realtime_kit.tickets import issue_ticket
from tests.clients import communicator, logged_in_browser

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long enough passphrase 42"


async def opened(path, cookie=None, subprotocols=None):
    client = communicator(path, cookie=cookie, subprotocols=subprotocols)
    connected, _ = await client.connect()
    assert connected
    return client


async def users_sockets(path):
    """Two sessions and a ticket of one user, and a socket of another user."""
    ada = await get_user_model().objects.acreate(username="ada")
    bob = await get_user_model().objects.acreate(username="bob")
    ticket, _ = await sync_to_async(issue_ticket)(ada)
    sockets = [
        await opened(path, (await logged_in_browser(ada)).cookie),
        await opened(path, (await logged_in_browser(ada)).cookie),
        await opened(path, subprotocols=["ticket", ticket]),
    ]
    other = await opened(path, (await logged_in_browser(bob)).cookie)
    return ada, sockets, other


async def assert_closed_but(sockets, other):
    for client in sockets:
        close = await client.receive_output(timeout=1)
        assert close == {"type": "websocket.close", "code": 4001}
        await client.disconnect()
    assert await other.receive_nothing(timeout=0.2)
    await other.disconnect()


async def test_deactivating_a_user_closes_all_their_sockets(whoami_path):
    ada, sockets, other = await users_sockets(whoami_path)
    ada = await get_user_model().objects.aget(pk=ada.pk)
    ada.is_active = False
    await ada.asave()
    await assert_closed_but(sockets, other)


async def test_a_password_change_closes_all_their_sockets(whoami_path):
    ada, sockets, other = await users_sockets(whoami_path)
    ada.set_password(PASSWORD)
    await ada.asave()
    await assert_closed_but(sockets, other)


async def test_other_changes_leave_the_sockets_open(whoami_path):
    ada, sockets, other = await users_sockets(whoami_path)
    ada.first_name = "Ada"
    await ada.asave()
    await get_user_model().objects.filter(pk=ada.pk).aupdate(last_name="L")
    for client in [*sockets, other]:
        assert await client.receive_nothing(timeout=0.2)
        await client.disconnect()
