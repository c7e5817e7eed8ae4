"""The async consumers' mixin: its dispatch loop keeps Channels' order and pace."""

import asyncio

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer, WebsocketConsumer
from django.db.backends.signals import connection_created

import realtime.consumers
from realtime.consumers import RealtimeConsumerMixin, dispatch_one_at_a_time


def inbox_of(messages):
    """An inbox that returns `messages` one by one, then waits forever."""
    pending = list(messages)

    async def receive():
        if pending:
            return pending.pop(0)
        await asyncio.get_running_loop().create_future()

    return receive


async def run_until(done, inboxes, dispatch):
    loop = asyncio.create_task(dispatch_one_at_a_time(inboxes, dispatch))
    await asyncio.wait_for(done.wait(), 1)
    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)


async def test_each_inbox_is_dispatched_in_its_own_order():
    client = inbox_of([("client", n) for n in range(5)])
    layer = inbox_of([("layer", n) for n in range(5)])
    seen, done = [], asyncio.Event()

    async def dispatch(message):
        seen.append(message)
        if len(seen) == 10:
            done.set()

    await run_until(done, [client, layer], dispatch)
    assert [n for source, n in seen if source == "client"] == list(range(5))
    assert [n for source, n in seen if source == "layer"] == list(range(5))


async def test_handlers_run_one_at_a_time():
    running, most, seen, done = 0, 0, 0, asyncio.Event()

    async def dispatch(message):
        nonlocal running, most, seen
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.001)
        running -= 1
        seen += 1
        if seen == 6:
            done.set()

    await run_until(done, [inbox_of(range(3)), inbox_of(range(3))], dispatch)
    assert most == 1


async def test_an_inbox_is_read_again_only_after_its_message_was_handled():
    taken = 0
    release = asyncio.Event()

    async def receive():
        nonlocal taken
        taken += 1
        return taken

    async def dispatch(message):
        await release.wait()

    loop = asyncio.create_task(dispatch_one_at_a_time([receive], dispatch))
    await asyncio.sleep(0.05)
    assert taken == 1  # the message in its handler, none taken ahead (as Channels)
    release.set()
    await asyncio.sleep(0.05)
    assert taken > 2
    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)


async def test_an_inbox_that_raises_ends_the_loop_with_its_error():
    async def broken():
        raise ConnectionError("the layer is down")

    async def dispatch(message):
        pass

    with pytest.raises(ConnectionError, match="the layer is down"):
        await asyncio.wait_for(
            dispatch_one_at_a_time([inbox_of([]), broken], dispatch), 1
        )


async def test_a_handler_error_ends_the_loop_and_stops_the_readers():
    reading = []

    async def receive():
        reading.append(asyncio.current_task())
        return {"type": "boom"}

    async def dispatch(message):
        raise ValueError("handler failed")

    with pytest.raises(ValueError, match="handler failed"):
        await asyncio.wait_for(dispatch_one_at_a_time([receive], dispatch), 1)
    assert all(reader.done() for reader in reading)


async def test_handlers_run_in_the_task_that_runs_the_loop():
    seen, done = [], asyncio.Event()

    async def dispatch(message):
        seen.append(asyncio.current_task())
        if len(seen) == 4:
            done.set()

    async def consumer():
        await dispatch_one_at_a_time([inbox_of(range(2)), inbox_of(range(2))], dispatch)

    task = asyncio.create_task(consumer())
    await asyncio.wait_for(done.wait(), 1)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert seen == [task] * 4


def test_the_mixin_refuses_a_sync_consumer_at_once():
    with pytest.raises(TypeError, match="async consumers only"):

        class SyncEcho(RealtimeConsumerMixin, WebsocketConsumer):
            pass


class Recorder(RealtimeConsumerMixin, AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        self.seen.append(text_data)


@pytest.mark.parametrize("opened", [False, True])
async def test_stale_connections_are_closed_before_each_handler_once_any_exist(
    monkeypatch, opened
):
    hops = []

    async def close_old_connections():
        hops.append(True)

    monkeypatch.setattr(
        realtime.consumers, "aclose_old_connections", close_old_connections
    )
    monkeypatch.setattr(realtime.consumers, "database_opened", opened)
    consumer = Recorder()
    consumer.seen = []
    await consumer.dispatch({"type": "websocket.receive", "text": "hi"})
    assert consumer.seen == ["hi"]
    assert hops == ([True] if opened else [])


def test_the_first_database_connection_is_noted(monkeypatch):
    monkeypatch.setattr(realtime.consumers, "database_opened", False)
    connection_created.send(sender=None, connection=None)
    assert realtime.consumers.database_opened


async def test_the_loop_ends_when_an_inbox_swallows_its_cancellation():
    """An inbox cancelled as it returns may hand back a message instead (Python
    3.11's wait_for can): the loop must end all the same, or the consumer never
    finishes and daphne kills it with a WARNING line."""

    async def swallowing():
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            return {"type": "late"}

    class Stop(Exception):
        pass

    async def dispatch(message):
        raise Stop

    with pytest.raises(Stop):
        await asyncio.wait_for(
            dispatch_one_at_a_time([inbox_of(["stop"]), swallowing], dispatch), 1
        )
