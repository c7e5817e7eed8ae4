"""The in-memory channel layer: Channels' contract, at a flat cost per message."""

import asyncio
import logging
import time

import pytest
from channels.exceptions import ChannelFull

from realtime.memory_layer import MemoryChannelLayer, copy_message


@pytest.fixture
def layer():
    return MemoryChannelLayer(capacity=3)


async def receive_soon(layer, channel):
    return await asyncio.wait_for(layer.receive(channel), 1)


async def nothing_arrives(layer, channel):
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(channel), 0.05)


async def test_a_message_sent_to_a_channel_is_received_once(layer):
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "hello", "n": 1})
    assert await receive_soon(layer, channel) == {"type": "hello", "n": 1}
    await nothing_arrives(layer, channel)


async def test_a_waiting_receiver_gets_the_message_sent_after_it_started(layer):
    channel = await layer.new_channel()
    waiting = asyncio.create_task(receive_soon(layer, channel))
    await asyncio.sleep(0)
    await layer.send(channel, {"type": "late"})
    assert await waiting == {"type": "late"}


async def test_messages_arrive_in_the_order_they_were_sent(layer):
    channel = await layer.new_channel()
    for number in range(3):
        await layer.send(channel, {"type": "n", "n": number})
    assert [(await receive_soon(layer, channel))["n"] for _ in range(3)] == [0, 1, 2]


async def test_a_full_channel_refuses_a_send(layer):
    channel = await layer.new_channel()
    for number in range(3):
        await layer.send(channel, {"type": "n", "n": number})
    with pytest.raises(ChannelFull):
        await layer.send(channel, {"type": "n", "n": 3})


async def test_group_send_reaches_every_member_and_no_one_else(layer):
    members = [await layer.new_channel() for _ in range(3)]
    outsider = await layer.new_channel()
    for channel in members:
        await layer.group_add("room", channel)
    await layer.group_add("elsewhere", outsider)
    await layer.group_send("room", {"type": "chat", "text": "hi"})
    for channel in members:
        assert await receive_soon(layer, channel) == {"type": "chat", "text": "hi"}
    await nothing_arrives(layer, outsider)


async def test_a_member_that_left_hears_nothing(layer):
    stays, leaves = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", stays)
    await layer.group_add("room", leaves)
    await layer.group_discard("room", leaves)
    await layer.group_send("room", {"type": "chat"})
    assert await receive_soon(layer, stays) == {"type": "chat"}
    await nothing_arrives(layer, leaves)


async def test_group_send_skips_a_full_member_with_one_info_line(layer, caplog):
    full, ready = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", full)
    await layer.group_add("room", ready)
    for number in range(3):
        await layer.send(full, {"type": "n", "n": number})
    with caplog.at_level(logging.INFO, logger="realtime.memory_layer"):
        await layer.group_send("room", {"type": "chat"})
    assert await receive_soon(layer, ready) == {"type": "chat"}
    assert [(await receive_soon(layer, full))["n"] for _ in range(3)] == [0, 1, 2]
    assert [r.getMessage() for r in caplog.records] == [
        "1 of 2 channels over capacity in group room"
    ]


async def test_every_receiver_gets_its_own_copy(layer):
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", first)
    await layer.group_add("room", second)
    sent = {"type": "chat", "items": [1, {"a": 2}], "tags": {"x"}}
    await layer.group_send("room", sent)
    sent["items"][1]["a"] = "changed by the sender"
    one = await receive_soon(layer, first)
    one["items"].append("changed by a receiver")
    one["tags"].add("y")
    other = await receive_soon(layer, second)
    assert other == {"type": "chat", "items": [1, {"a": 2}], "tags": {"x"}}


def test_copy_message_shares_nothing_mutable():
    original = {"a": [1, {"b": bytearray(b"x")}], "c": ("t", [2]), "d": None}
    copied = copy_message(original)
    assert copied == original
    assert copied["a"] is not original["a"]
    assert copied["a"][1]["b"] is not original["a"][1]["b"]
    assert copied["c"][1] is not original["c"][1]


async def test_an_expired_message_is_dropped_and_its_channel_leaves_its_groups():
    layer = MemoryChannelLayer(expiry=0.05)
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    await layer.send(channel, {"type": "stale"})
    await asyncio.sleep(0.1)
    await layer.send(channel, {"type": "fresh"})
    assert await receive_soon(layer, channel) == {"type": "fresh"}
    assert channel not in layer.groups.get("room", {})


async def test_memberships_older_than_group_expiry_end_at_the_next_sweep():
    layer = MemoryChannelLayer(group_expiry=1)
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    layer.groups["room"][channel] = time.time() - 5  # joined long ago
    layer.next_sweep = 0  # the next sweep is due
    await layer.group_send("room", {"type": "chat"})
    await nothing_arrives(layer, channel)


async def test_a_cancelled_receiver_leaves_no_queue_behind(layer):
    channels = [await layer.new_channel() for _ in range(50)]
    receivers = [asyncio.create_task(layer.receive(name)) for name in channels]
    await asyncio.sleep(0)
    assert len(layer.channels) == 50
    for receiver in receivers:
        receiver.cancel()
    await asyncio.gather(*receivers, return_exceptions=True)
    assert layer.channels == {}


async def test_a_cancelled_receiver_leaves_pending_messages_for_the_next(layer):
    channel = await layer.new_channel()
    receiver = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    receiver.cancel()
    await asyncio.gather(receiver, return_exceptions=True)
    await layer.send(channel, {"type": "kept"})
    assert await receive_soon(layer, channel) == {"type": "kept"}


async def test_queues_nobody_reads_are_dropped_by_the_sweep(layer):
    for _ in range(20):
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "n"})
        await receive_soon(layer, channel)
    layer.next_sweep = 0
    await layer.group_send("any", {"type": "n"})
    assert layer.channels == {}


async def test_a_busy_group_send_lets_receivers_run(layer):
    """A loop of group_send calls yields, so members drain their queues."""
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    received = []

    async def drain():
        while True:
            received.append(await layer.receive(channel))

    drainer = asyncio.create_task(drain())
    await asyncio.sleep(0)
    for number in range(10):  # more than the capacity of 3
        await layer.group_send("room", {"type": "n", "n": number})
    await asyncio.sleep(0)
    drainer.cancel()
    assert [message["n"] for message in received] == list(range(10))


async def test_a_message_that_is_not_a_dict_is_refused(layer):
    channel = await layer.new_channel()
    with pytest.raises(TypeError, match="must be a dict, not str"):
        await layer.send(channel, "hello")
    with pytest.raises(TypeError, match="must be a dict, not list"):
        await layer.group_send("room", ["hello"])


async def test_a_receiver_waiting_through_a_flush_ends_cleanly(layer):
    channel = await layer.new_channel()
    receiver = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    await layer.flush()
    receiver.cancel()
    results = await asyncio.gather(receiver, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert layer.channels == {}
    assert layer.receivers == {}
