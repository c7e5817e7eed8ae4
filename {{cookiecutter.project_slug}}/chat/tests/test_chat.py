"""Chat rooms: everyone in a room gets each message, in order; nobody else does."""

import json
import time

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from tests.clients import communicator, open_websocket

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


async def receive_json(client):
    """The next frame other than chat.presence (chat/tests/test_presence.py)."""
    while True:
        frame = json.loads(await client.receive_from())
        if frame["type"] != "chat.presence":
            return frame


async def no_frame_but_presence(client, seconds):
    """Whether nothing but chat.presence frames arrives within `seconds`."""
    deadline = time.monotonic() + seconds
    while not await client.receive_nothing(max(deadline - time.monotonic(), 0)):
        if json.loads(await client.receive_from())["type"] != "chat.presence":
            return False
    return True


async def send_message(client, message):
    await client.send_to(text_data=json.dumps({"message": message}))


async def test_every_member_receives_the_message_sender_included():
    async with (
        open_websocket("/ws/chat/lobby/") as alice,
        open_websocket("/ws/chat/lobby/") as bob,
    ):
        await send_message(alice, "hello")
        expected = {"type": "chat.message", "message": "hello", "user": "anonymous"}
        assert await receive_json(alice) == expected
        assert await receive_json(bob) == expected


async def test_messages_arrive_in_the_order_each_sender_sent_them():
    async with (
        open_websocket("/ws/chat/ordered/") as alice,
        open_websocket("/ws/chat/ordered/") as bob,
    ):
        for number in range(10):
            await send_message(alice, f"a{number}")
            await send_message(bob, f"b{number}")
        for client in (alice, bob):
            received = [(await receive_json(client))["message"] for _ in range(20)]
            assert [m for m in received if m[0] == "a"] == [f"a{n}" for n in range(10)]
            assert [m for m in received if m[0] == "b"] == [f"b{n}" for n in range(10)]


async def test_other_rooms_receive_nothing():
    async with (
        open_websocket("/ws/chat/one/") as speaker,
        open_websocket("/ws/chat/two/") as elsewhere,
    ):
        await send_message(speaker, "only for room one")
        assert (await receive_json(speaker))["message"] == "only for room one"
        assert await no_frame_but_presence(elsewhere, seconds=0.2)


@pytest.mark.parametrize(
    "room",
    ["café", "a" * 81, "with%20space", "semi;colon"],
    ids=["non-ascii", "too-long", "space", "semicolon"],
)
async def test_room_names_outside_the_group_name_rules_have_no_route(room):
    client = communicator(f"/ws/chat/{room}/")
    connected, _ = await client.connect()
    assert not connected


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ({"text_data": "not json"}, 'expected {"message": "<text>"}'),
        ({"text_data": "[1, 2]"}, 'expected {"message": "<text>"}'),
        ({"text_data": "{}"}, 'expected {"message": "<text>"}'),
        ({"text_data": '{"message": 42}'}, 'expected {"message": "<text>"}'),
        ({"bytes_data": b"\x00"}, 'expected {"message": "<text>"}'),
        ({"text_data": "[" * 10_000 + "]" * 10_000}, 'expected {"message": "<text>"}'),
        (
            {"text_data": json.dumps({"message": "x" * 2001})},
            "message longer than 2000 characters",
        ),
    ],
    ids=["not-json", "array", "no-message", "number", "binary", "nested", "too-long"],
)
async def test_bad_frames_get_an_error_only_the_sender_sees(frame, error):
    async with (
        open_websocket("/ws/chat/errors/") as sender,
        open_websocket("/ws/chat/errors/") as other,
    ):
        await sender.send_to(**frame)
        assert await receive_json(sender) == {"type": "error", "error": error}
        assert await no_frame_but_presence(other, seconds=0.1)
        # The connection lives on.
        await send_message(sender, "still here")
        assert (await receive_json(other))["message"] == "still here"


async def test_messages_carry_the_name_of_a_logged_in_user():
    user = await sync_to_async(get_user_model().objects.create_user)("ada")
    browser = Client()
    await sync_to_async(browser.force_login)(user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    client = communicator("/ws/chat/named/")
    client.scope["headers"].append((b"cookie", cookie))
    connected, _ = await client.connect()
    assert connected
    await send_message(client, "hi")
    assert (await receive_json(client))["user"] == "ada"
    await client.disconnect()
