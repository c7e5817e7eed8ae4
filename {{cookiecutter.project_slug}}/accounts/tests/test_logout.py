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


async def test_a_logout_closes_its_sessions_chat_and_notification_sockets():
    user = await get_user_model().objects.acreate(username="ada")
    leaving, staying = await logged_in_browser(user), await logged_in_browser(user)
    chat = await opened("/ws/chat/lobby/", leaving.cookie)
    notifications = await opened("/ws/notifications/", leaving.cookie)
    elsewhere = await opened("/ws/notifications/", staying.cookie)

    response = await sync_to_async(leaving.post)("/accounts/logout/")
    assert response.status_code == 302

    for client in (chat, notifications):
        close = await client.receive_output(timeout=1)
        assert close == {"type": "websocket.close", "code": 4001}
        await client.disconnect()
    # The same user's other session stays logged in, and so do its sockets.
    assert await elsewhere.receive_nothing(timeout=0.2)
    await elsewhere.disconnect()
