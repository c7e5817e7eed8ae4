"""The consumers' dispatch loop: in order, one handler at a time, errors surface."""

import asyncio

import pytest

from realtime.consumers.steady_dispatch import dispatch_in_order


def inbox_of(messages):
    """An inbox that returns `messages` one by one, then waits forever."""
    pending = list(messages)

    async def receive():
        if pending:
            return pending.pop(0)
        await asyncio.get_running_loop().create_future()

    return receive


async def run_until(done, inboxes, dispatch):
    loop = asyncio.create_task(dispatch_in_order(inboxes, dispatch))
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


async def test_at_most_one_message_per_inbox_is_taken_ahead_of_its_handler():
    taken = 0
    release = asyncio.Event()

    async def receive():
        nonlocal taken
        taken += 1
        return taken

    async def dispatch(message):
        await release.wait()

    loop = asyncio.create_task(dispatch_in_order([receive], dispatch))
    await asyncio.sleep(0.05)
    # One in the handler, one handed over, one in the reader's hands.
    assert taken == 3
    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)


async def test_an_inbox_that_raises_ends_the_loop_with_its_error():
    async def broken():
        raise ConnectionError("the layer is down")

    async def dispatch(message):
        pass

    with pytest.raises(ConnectionError, match="the layer is down"):
        await asyncio.wait_for(dispatch_in_order([inbox_of([]), broken], dispatch), 1)


async def test_a_handler_error_ends_the_loop_and_stops_the_readers():
    reading = []

    async def receive():
        reading.append(asyncio.current_task())
        return {"type": "boom"}

    async def dispatch(message):
        raise ValueError("handler failed")

    with pytest.raises(ValueError, match="handler failed"):
        await asyncio.wait_for(dispatch_in_order([receive], dispatch), 1)
    assert all(reader.done() for reader in reading)
