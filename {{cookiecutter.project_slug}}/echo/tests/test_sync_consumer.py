"""A copy of EchoConsumer may use the ORM and the layer through async_to_sync."""

import threading

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model

from echo.consumers import EchoConsumer
from tests.clients import open_websocket, served_at

pytestmark = pytest.mark.django_db(transaction=True)


class CountingEcho(EchoConsumer):
    """The sample, changed as a user would: a query, a group, the tutorial's calls."""

    def connect(self):
        async_to_sync(self.channel_layer.group_add)("echo.listeners", self.channel_name)
        self.accept()

    def disconnect(self, code):
        async_to_sync(self.channel_layer.group_discard)(
            "echo.listeners", self.channel_name
        )

    def receive(self, text_data=None, bytes_data=None):
        users = get_user_model().objects.count()
        async_to_sync(self.channel_layer.group_send)(
            "echo.listeners",
            {"type": "echo.count", "text": f"{text_data}: {users} users"},
        )

    def echo_count(self, event):
        self.send(text_data=f"{event['text']} (thread {threading.get_ident()})")


@pytest.fixture
def counting_echo_route():
    with served_at("/ws/counting-echo/", CountingEcho) as url_path:
        yield url_path


async def test_a_subclass_may_query_the_database_and_use_the_layer(counting_echo_route):
    await get_user_model().objects.acreate(username="ada")
    async with (
        open_websocket(counting_echo_route) as speaker,
        open_websocket(counting_echo_route) as listener,
    ):
        await speaker.send_to(text_data="hello")
        for client in (speaker, listener):
            reply = await client.receive_from(timeout=5)
            assert reply.startswith("hello: 1 users (thread ")


async def test_handlers_run_off_the_event_loop_thread(counting_echo_route):
    async with open_websocket(counting_echo_route) as client:
        await client.send_to(text_data="where")
        reply = await client.receive_from(timeout=5)
    handler_thread = int(reply.rsplit("thread ", 1)[1].rstrip(")"))
    assert handler_thread != threading.get_ident()
