"""Who is in a room: every member hears it when it changes, once per window at most."""

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings

from chat import presence
from chat.checks import check_presence_timing
from tests.clients import communicator, logged_in_browser, open_websocket

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


def presence_frame(users=(), anonymous=0):
    return {"type": "chat.presence", "users": list(users), "anonymous": anonymous}


async def presence_reaches(client, expected, seconds=5):
    """Whether a chat.presence frame equal to `expected` arrives within `seconds`."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = json.loads(await client.receive_from(timeout=left))
        except TimeoutError:
            return False
        if frame == expected:
            return True
    return False


async def frames_until_quiet(client, quiet_seconds):
    """Every frame that arrives until none has for `quiet_seconds`."""
    frames = []
    while not await client.receive_nothing(timeout=quiet_seconds):
        frames.append(json.loads(await client.receive_from()))
    return frames


async def test_members_hear_who_is_in_the_room_names_sorted_anonymous_counted():
    names = ["zoe", "ada"]
    users = [
        await sync_to_async(get_user_model().objects.create_user)(n) for n in names
    ]
    cookies = [(await logged_in_browser(user)).cookie for user in users]
    expected = presence_frame(users=["ada", "zoe"], anonymous=1)
    async with (
        open_websocket("/ws/chat/who/", cookie=cookies[0]) as zoe,
        open_websocket("/ws/chat/who/", cookie=cookies[1]) as ada,
        open_websocket("/ws/chat/who/") as someone,
    ):
        for client in (zoe, ada, someone):
            assert await presence_reaches(client, expected)


async def test_a_member_who_leaves_is_gone_from_the_others_list():
    async with open_websocket("/ws/chat/leaving/") as staying:
        async with open_websocket("/ws/chat/leaving/"):
            assert await presence_reaches(staying, presence_frame(anonymous=2))
        assert await presence_reaches(staying, presence_frame(anonymous=1))


async def test_other_rooms_hear_nothing_of_it():
    async with open_websocket("/ws/chat/here/") as here:
        assert await presence_reaches(here, presence_frame(anonymous=1))
        async with open_websocket("/ws/chat/there/"):
            assert await here.receive_nothing(
                timeout=2 * settings.CHAT_PRESENCE_ANNOUNCE_SECONDS
            )


async def test_a_join_burst_is_announced_once_per_window_not_once_per_join():
    members = 40
    clients = [communicator("/ws/chat/burst/") for _ in range(members)]
    started = time.monotonic()
    results = await asyncio.gather(*(client.connect() for client in clients))
    burst_seconds = time.monotonic() - started
    try:
        assert all(connected for connected, _ in results)
        window = settings.CHAT_PRESENCE_ANNOUNCE_SECONDS
        # Quiet on one for two windows: the others have had all theirs too.
        received = [await frames_until_quiet(clients[0], 2 * window)]
        received += [await frames_until_quiet(c, 0) for c in clients[1:]]
        for frames in received:
            assert frames[-1] == presence_frame(anonymous=members)
        # One announcement per window, to at most every member; one per join
        # would be 1 + 2 + ... + 40 = 820 frames.
        deliveries = sum(len(frames) for frames in received)
        windows = burst_seconds / window + 2
        assert deliveries <= members * windows, (deliveries, burst_seconds)
    finally:
        await asyncio.gather(*(client.disconnect() for client in clients))


async def test_a_consumer_that_ends_without_its_disconnect_leaves_too():
    """As one closed on a channel-layer outage does: its task ends, and it leaves."""
    layer = get_channel_layer()
    ended = asyncio.Event()

    async def consumer_task():
        await presence.join(layer, "chat.ending", await layer.new_channel(), "")
        await ended.wait()

    async with open_websocket("/ws/chat/ending/") as staying:
        task = asyncio.create_task(consumer_task())
        assert await presence_reaches(staying, presence_frame(anonymous=2))
        ended.set()
        await task
        assert await presence_reaches(staying, presence_frame(anonymous=1))


def test_the_checks_refuse_a_heartbeat_that_lets_live_sockets_expire():
    assert check_presence_timing(None) == []
    with override_settings(CHAT_PRESENCE_HEARTBEAT_SECONDS=30):
        [error] = check_presence_timing(None)
        assert error.id == "chat.E001"
    layers = {"default": {"BACKEND": "any", "CONFIG": {"group_expiry": 5}}}
    with override_settings(CHANNEL_LAYERS=layers):
        [error] = check_presence_timing(None)
        assert error.id == "chat.E002"
