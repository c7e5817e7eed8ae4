"""The mixin the async samples share: error replies, and one reader task per inbox.

- A handler that raises InvalidFrame answers its client {"type": "error",
  "error": "<why>"}; the socket stays open. JSON consumers get that for
  frames that are not a JSON object (binary, empty, invalid, nested too deep).
- Channels' dispatch loop starts a new task and an asyncio.wait per message;
  this one keeps one reader task per inbox (the client, the channel layer)
  for the consumer's life. Everything else is Channels' own: handlers run one
  at a time in the consumer's task, in arrival order; an inbox is read again
  only once its last message was handled; `dispatch` (with its
  close_old_connections) is unchanged.

https://channels.readthedocs.io/en/stable/topics/consumers.html
"""

import asyncio
import contextlib
import functools
import json

from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer


class InvalidFrame(ValueError):
    """A client frame the consumer cannot act on; str() tells the client why."""


def json_object(text_data):
    """The JSON object in a text frame, or InvalidFrame saying what is wrong."""
    if not text_data:
        raise InvalidFrame("expected a JSON object in a text frame")
    try:
        content = json.loads(text_data)
    except (ValueError, RecursionError):
        raise InvalidFrame("the frame is not valid JSON") from None
    if not isinstance(content, dict):
        raise InvalidFrame("expected a JSON object")
    return content


class RealtimeConsumerMixin:
    """Put it first among the bases, before the Channels consumer class."""

    async def __call__(self, scope, receive, send):
        # AsyncConsumer.__call__'s set-up, then this module's dispatch loop.
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
            await dispatch_one_at_a_time(inboxes, self.dispatch)

    async def dispatch(self, message):
        try:
            await super().dispatch(message)
        except InvalidFrame as error:
            await self.send(
                text_data=json.dumps({"type": "error", "error": str(error)})
            )

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Reached by consumers that keep Channels' receive, the JSON ones:
        # theirs raises ValueError (a traceback) on a frame without text.
        if not text_data:
            raise InvalidFrame("expected a JSON object in a text frame")
        await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)

    @classmethod
    async def decode_json(cls, text_data):
        return json_object(text_data)


async def dispatch_one_at_a_time(inboxes, dispatch):
    """Await dispatch(message) for each message of each inbox, one at a time.

    Each inbox has one reader task; it hands a message over and waits until
    that message was handled before reading the next. An inbox that raises
    ends the loop with its error.
    """
    arrived = asyncio.Queue()

    async def read(inbox):
        handled = asyncio.Event()
        while True:
            try:
                message = await inbox()
            except Exception as error:
                arrived.put_nowait((None, None, error))
                return
            handled.clear()
            arrived.put_nowait((message, handled, None))
            await handled.wait()

    readers = [asyncio.create_task(read(inbox)) for inbox in inboxes]
    try:
        while True:
            message, handled, error = await arrived.get()
            if error is not None:
                raise error
            try:
                await dispatch(message)
            finally:
                handled.set()
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
