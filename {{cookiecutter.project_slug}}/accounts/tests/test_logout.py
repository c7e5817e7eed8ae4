"""Logging out closes the sockets of that session, with 4001, and only those."""

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from tests.clients import communicator, logged_in_browser

pytestmark = pytest.mark.django_db(transaction=True)


async def opened(path, cookie):
    client = communicator(path, cookie=cookie)
    connected, _ = await client.connect()
    assert connected
    return client


async def test_a_logout_closes_every_socket_of_its_session_only(whoami_path):
    user = await get_user_model().objects.acreate(username="ada")
    leaving, staying = await logged_in_browser(user), await logged_in_browser(user)
    tabs = [await opened(whoami_path, leaving.cookie) for _ in range(2)]
    elsewhere = await opened(whoami_path, staying.cookie)

    response = await sync_to_async(leaving.post)("/accounts/logout/")
    assert response.status_code == 302

    for client in tabs:
        close = await client.receive_output(timeout=1)
        assert close == {"type": "websocket.close", "code": 4001}
        await client.disconnect()
    # The same user's other session stays logged in, and so do its sockets.
    assert await elsewhere.receive_nothing(timeout=0.2)
    await elsewhere.disconnect()
