"""A mixin for async consumers: one long-lived task per inbox, not one per message.

Channels' AsyncConsumer waits on its two inboxes, the client and the channel
layer, with `await_many_dispatch`: for every message it starts a new task and
an `asyncio.wait` over both. When a room of 100 hears a message, that is 100
tasks and 100 waits, about a quarter of the server's time. With this mixin
each inbox is read by one task that lives as long as the consumer, and hands
its messages over through a queue of one.

What handlers see does not change: they run one at a time, in the consumer's
own task, in arrival order; at most one message per inbox is taken ahead of
its handler, as before; an inbox that raises ends the consumer with that
error; StopConsumer ends it cleanly.

https://channels.readthedocs.io/en/stable/topics/consumers.html
"""

import asyncio
import contextlib
import functools

from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer


class SteadyDispatchMixin:
    async def __call__(self, scope, receive, send):
        # What AsyncConsumer.__call__ sets up, for async consumers.
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        inboxes = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(
                self.channel_layer.receive, self.channel_name
            )
            inboxes.append(self.channel_receive)
        with contextlib.suppress(StopConsumer):
            await dispatch_in_order(inboxes, self.dispatch)


async def dispatch_in_order(inboxes, dispatch):
    """Await `dispatch(message)` for every message of every inbox, one at a time."""
    arrived = asyncio.Queue(maxsize=1)

    async def read(inbox):
        while True:
            try:
                message = await inbox()
            except Exception as error:
                await arrived.put((None, error))
                return
            await arrived.put((message, None))

    readers = [asyncio.create_task(read(inbox)) for inbox in inboxes]
    try:
        while True:
            message, error = await arrived.get()
            if error is not None:
                raise error
            await dispatch(message)
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
