"""The in-memory channel layer.

The contract tests run against Channels' own `InMemoryChannelLayer` and ours:
they state the facts of Channels' tests/test_inmemorychannel.py, less its two
tests of private bookkeeping. The tests after them are about ours alone.
"""

import asyncio
import logging
import re
import time

import pytest
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

from realtime_kit.memory_layer import MemoryChannelLayer, copy_message


@pytest.fixture(
    params=[InMemoryChannelLayer, MemoryChannelLayer], ids=["channels", "ours"]
)
def layer_class(request):
    return request.param


@pytest.fixture
def layer(layer_class):
    return layer_class(capacity=3)


@pytest.fixture
def ours():
    return MemoryChannelLayer(capacity=3)


async def receive_soon(layer, channel):
    return await asyncio.wait_for(layer.receive(channel), 1)


async def nothing_arrives(layer, channel):
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(channel), 0.05)


async def started(coroutine):
    """A task running `coroutine`, which has reached its first wait."""
    task = asyncio.create_task(coroutine)
    await asyncio.sleep(0)
    return task


async def join(layer, group, *channels):
    for channel in channels:
        await layer.group_add(group, channel)


real_time = time.time


def freeze_clock(monkeypatch, seconds_from_now):
    later = real_time() + seconds_from_now
    monkeypatch.setattr(time, "time", lambda: later)


# The contract


def test_the_defaults_and_extensions_are_channels(layer_class):
    layer = layer_class()
    assert (layer.expiry, layer.group_expiry, layer.capacity) == (60, 86400, 100)
    assert {"groups", "flush"} <= set(layer.extensions)


async def test_a_message_is_received_once(layer):
    await layer.send("test-channel", {"type": "test.message", "text": "Ahoy-hoy!"})
    message = await receive_soon(layer, "test-channel")
    assert message == {"type": "test.message", "text": "Ahoy-hoy!"}
    await nothing_arrives(layer, "test-channel")


async def test_a_new_channel_carries_messages(layer):
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "local"})
    assert await receive_soon(layer, channel) == {"type": "local"}


async def test_new_channel_names_are_unique_valid_and_prefixed(layer):
    names = {await layer.new_channel() for _ in range(100)} | {
        await layer.new_channel("chat")
    }
    assert len(names) == 101
    assert all(layer.require_valid_channel_name(name) for name in names)
    assert sum(name.startswith("specific.") for name in names) == 100
    assert sum(name.startswith("chat") for name in names) == 1


async def test_a_waiting_receiver_gets_a_message_sent_later(layer):
    receiver = await started(receive_soon(layer, "test-channel"))
    await layer.send("test-channel", {"type": "late"})
    assert await receiver == {"type": "late"}


async def test_messages_arrive_in_the_order_they_were_sent(layer):
    for number in range(3):
        await layer.send("test-channel", {"type": "n", "n": number})
    numbers = [(await receive_soon(layer, "test-channel"))["n"] for _ in range(3)]
    assert numbers == [0, 1, 2]


async def test_two_receivers_on_a_channel_share_its_messages(layer):
    receivers = [await started(receive_soon(layer, "shared")) for _ in range(2)]
    await layer.send("shared", {"type": "n", "n": 1})
    await layer.send("shared", {"type": "n", "n": 2})
    assert sorted(m["n"] for m in await asyncio.gather(*receivers)) == [1, 2]


async def test_a_receiver_cancelled_as_its_message_arrives_passes_it_on(layer):
    first = await started(layer.receive("shared"))
    second = await started(receive_soon(layer, "shared"))
    await layer.send("shared", {"type": "once"})
    first.cancel()  # woken for the message, but cancelled before it runs
    await asyncio.gather(first, return_exceptions=True)
    assert await second == {"type": "once"}


async def test_a_cancelled_receive_loses_nothing_sent_later(layer):
    receiver = await started(layer.receive("test-channel"))
    receiver.cancel()
    await asyncio.gather(receiver, return_exceptions=True)
    await layer.send("test-channel", {"type": "kept"})
    assert await receive_soon(layer, "test-channel") == {"type": "kept"}


async def test_a_full_channel_refuses_a_send_until_it_is_read(layer):
    for _ in range(3):
        await layer.send("test-channel", {"type": "n"})
    with pytest.raises(ChannelFull):
        await layer.send("test-channel", {"type": "n"})
    await receive_soon(layer, "test-channel")
    await layer.send("test-channel", {"type": "n"})


@pytest.mark.parametrize(
    "layer_class",
    [
        pytest.param(
            InMemoryChannelLayer,
            marks=pytest.mark.xfail(
                raises=ValueError, reason="Channels never compiles channel_capacity"
            ),
            id="channels",
        ),
        pytest.param(MemoryChannelLayer, id="ours"),
    ],
)
async def test_channel_capacity_sets_the_capacity_of_matching_channels(layer_class):
    layer = layer_class(
        capacity=2, channel_capacity={"big.*": 4, re.compile(r"^one$"): 1}
    )
    for channel, capacity in [("big.x", 4), ("one", 1), ("other", 2)]:
        for _ in range(capacity):
            await layer.send(channel, {"type": "n"})
        with pytest.raises(ChannelFull):
            await layer.send(channel, {"type": "n"})


BAD_CHANNEL_NAMES = ["", "has space", "naïve", "x" * 100, 7, None]
BAD_GROUP_NAMES = [*BAD_CHANNEL_NAMES, "room!1"]


@pytest.mark.parametrize("name", BAD_CHANNEL_NAMES)
async def test_an_invalid_channel_name_is_refused(layer, name):
    for refused in [
        lambda: layer.send(name, {"type": "n"}),
        lambda: layer.receive(name),
        lambda: layer.group_add("room", name),
        lambda: layer.group_discard("room", name),
    ]:
        with pytest.raises(TypeError):
            await refused()


@pytest.mark.parametrize("name", BAD_GROUP_NAMES)
async def test_an_invalid_group_name_is_refused(layer, name):
    for refused in [
        lambda: layer.group_add(name, "test-channel"),
        lambda: layer.group_discard(name, "test-channel"),
        lambda: layer.group_send(name, {"type": "n"}),
    ]:
        with pytest.raises(TypeError):
            await refused()


async def test_a_message_that_is_not_a_dict_is_refused(layer):
    # Channels asserts, so its layer raises AssertionError (and nothing under -O).
    with pytest.raises((TypeError, AssertionError)):
        await layer.send("test-channel", "hello")
    with pytest.raises((TypeError, AssertionError)):
        await layer.group_send("room", ["hello"])


async def test_group_send_reaches_the_members_and_no_one_else(layer):
    await join(layer, "room", "one", "two", "three", "leaves")
    await join(layer, "elsewhere", "outsider")
    await layer.group_discard("room", "leaves")
    await layer.group_send("room", {"type": "chat"})
    for member in ["one", "two", "three"]:
        assert await receive_soon(layer, member) == {"type": "chat"}
    await nothing_arrives(layer, "leaves")
    await nothing_arrives(layer, "outsider")


async def test_a_channel_that_joins_twice_hears_once(layer):
    await join(layer, "room", "twice", "twice")
    await layer.group_send("room", {"type": "chat"})
    await receive_soon(layer, "twice")
    await nothing_arrives(layer, "twice")


async def test_groups_nobody_joined_are_harmless(layer):
    await layer.group_send("empty", {"type": "chat"})
    await layer.group_discard("empty", "test-channel")


async def test_group_send_skips_a_full_member(layer):
    await join(layer, "room", "full", "ready")
    for number in range(3):
        await layer.send("full", {"type": "n", "n": number})
    for _ in range(3):
        await layer.group_send("room", {"type": "chat"})
    assert [(await receive_soon(layer, "full"))["n"] for _ in range(3)] == [0, 1, 2]
    await nothing_arrives(layer, "full")
    for _ in range(3):
        assert await receive_soon(layer, "ready") == {"type": "chat"}


async def test_a_busy_group_send_loop_lets_receivers_run(layer):
    await join(layer, "room", "member")
    received = []

    async def drain():
        while True:
            received.append((await layer.receive("member"))["n"])

    drainer = await started(drain())
    for number in range(10):  # more than the capacity of 3
        await layer.group_send("room", {"type": "n", "n": number})
    await asyncio.sleep(0)
    drainer.cancel()
    await asyncio.gather(drainer, return_exceptions=True)
    assert received == list(range(10))


async def test_an_expired_message_is_never_delivered(layer_class):
    layer = layer_class(expiry=0.05)
    await layer.send("stale", {"type": "n"})
    await asyncio.sleep(0.1)
    await nothing_arrives(layer, "stale")


async def test_only_the_expired_messages_of_a_channel_are_dropped(layer_class):
    layer = layer_class(expiry=0.05)
    for number in range(3):
        await layer.send("test-channel", {"type": "n", "n": number})
    assert (await receive_soon(layer, "test-channel"))["n"] == 0
    await asyncio.sleep(0.1)
    await layer.send("test-channel", {"type": "n", "n": 3})
    await layer.send("other", {"type": "n", "n": 4})
    assert (await receive_soon(layer, "test-channel"))["n"] == 3
    assert (await receive_soon(layer, "other"))["n"] == 4
    await nothing_arrives(layer, "test-channel")


async def test_a_channel_whose_message_expired_leaves_its_groups(layer_class):
    layer = layer_class(expiry=0.05)
    await join(layer, "room", "stale", "fresh")
    await join(layer, "lobby", "stale")
    await layer.send("stale", {"type": "unread"})
    await asyncio.sleep(0.1)
    await layer.group_send("room", {"type": "chat"})
    await layer.group_send("lobby", {"type": "chat"})
    assert await receive_soon(layer, "fresh") == {"type": "chat"}
    await nothing_arrives(layer, "stale")


async def test_a_membership_ends_after_group_expiry(layer_class, monkeypatch):
    layer = layer_class(group_expiry=10)
    await join(layer, "room", "old", "renewed")
    freeze_clock(monkeypatch, 8)
    await join(layer, "room", "renewed")
    freeze_clock(monkeypatch, 15)
    await layer.group_send("room", {"type": "chat"})
    assert await receive_soon(layer, "renewed") == {"type": "chat"}
    await nothing_arrives(layer, "old")


async def test_flush_drops_every_message_and_group(layer):
    await join(layer, "room", "member")
    await layer.send("test-channel", {"type": "n"})
    await layer.flush()
    await layer.group_send("room", {"type": "chat"})
    await nothing_arrives(layer, "test-channel")
    await nothing_arrives(layer, "member")
    await layer.close()


async def test_every_receiver_gets_its_own_copy(layer):
    await join(layer, "room", "first", "second")

    def chat():
        return {"type": "chat", "items": [1, {"a": 2}], "tags": {"x"}, "pair": ([3],)}

    sent = chat()
    await layer.group_send("room", sent)
    sent["items"][1]["a"] = "changed by the sender"
    first = await receive_soon(layer, "first")
    first["items"].append("changed by a receiver")
    first["tags"].add("y")
    first["pair"][0].append(4)
    assert await receive_soon(layer, "second") == chat()


# Ours alone


async def test_a_message_that_is_not_a_dict_is_a_type_error(ours):
    with pytest.raises(TypeError, match="must be a dict, not str"):
        await ours.send("test-channel", "hello")
    with pytest.raises(TypeError, match="must be a dict, not list"):
        await ours.group_send("room", ["hello"])


async def test_group_send_logs_one_info_line_for_its_full_members(ours, caplog):
    await join(ours, "room", "full", "ready")
    for _ in range(3):
        await ours.send("full", {"type": "n"})
    with caplog.at_level(logging.INFO, logger="realtime_kit.memory_layer"):
        await ours.group_send("room", {"type": "chat"})
    assert [r.getMessage() for r in caplog.records] == [
        "1 of 2 channels over capacity in group room"
    ]


async def test_group_send_starts_no_task(ours, monkeypatch):
    await join(ours, "room", *[f"member-{n}" for n in range(10)])
    monkeypatch.setattr(asyncio, "create_task", None)
    await ours.group_send("room", {"type": "chat"})
    assert len(ours.inboxes) == 10


def test_copy_message_shares_nothing_mutable():
    original = {"a": [1, {"b": bytearray(b"x")}], "c": ("t", [2]), "d": None}
    copied = copy_message(original)
    assert copied == original
    assert copied["a"] is not original["a"]
    assert copied["a"][1]["b"] is not original["a"][1]["b"]
    assert copied["c"][1] is not original["c"][1]


async def test_a_channel_keeps_its_inbox_between_receives(ours):
    await ours.send("test-channel", {"type": "n"})
    inbox = ours.inboxes["test-channel"]
    await receive_soon(ours, "test-channel")
    receiver = await started(receive_soon(ours, "test-channel"))
    assert ours.inboxes["test-channel"] is inbox
    await ours.send("test-channel", {"type": "n"})
    await receiver


async def test_cancelled_receivers_leave_no_inbox_behind(ours):
    receivers = [await started(ours.receive(f"channel-{n}")) for n in range(50)]
    receivers += [await started(ours.receive("channel-0"))]
    assert len(ours.inboxes) == 50
    for receiver in receivers:
        receiver.cancel()
    await asyncio.gather(*receivers, return_exceptions=True)
    assert ours.inboxes == {}


async def test_the_sweep_drops_idle_inboxes_and_stale_memberships(ours, monkeypatch):
    ours.group_expiry = 10
    await join(ours, "quiet", "member")
    await ours.send("unread", {"type": "n"})
    await ours.send("read", {"type": "n"})
    await receive_soon(ours, "read")
    freeze_clock(monkeypatch, ours.expiry + 1)
    await ours.send("busy", {"type": "n"})  # the next sweep is due
    assert list(ours.inboxes) == ["busy"]
    assert ours.groups == {}


async def test_expired_messages_do_not_fill_a_channel():
    layer = MemoryChannelLayer(capacity=1, expiry=0.05)
    await layer.send("test-channel", {"type": "stale"})
    await asyncio.sleep(0.1)
    await layer.send("test-channel", {"type": "fresh"})
    assert await receive_soon(layer, "test-channel") == {"type": "fresh"}


async def test_a_receiver_waiting_through_a_flush_ends_cleanly(ours):
    kept = await started(receive_soon(ours, "kept"))
    cancelled = await started(ours.receive("cancelled"))
    await ours.flush()
    await ours.send("kept", {"type": "after the flush"})
    assert await kept == {"type": "after the flush"}
    cancelled.cancel()
    [result] = await asyncio.gather(cancelled, return_exceptions=True)
    assert isinstance(result, asyncio.CancelledError)
    assert ours.inboxes.keys() == {"kept"}
