"""The mixin the async samples share: error replies, and a lighter path per message.

- A handler that raises InvalidFrame answers its client {"type": "error",
  "error": "<why>"}; the socket stays open. JSON consumers get that for
  frames that are not a JSON object (binary, empty, invalid, nested too deep).
- Channels closes stale database connections before every handler, on Django's
  one sync thread: a thread hop per message. Until this process has opened a
  database connection there is none to close, so the hop waits for the first
  one; from then on it precedes every handler, as in Channels.
- A socket of a logged-in browser session closes with 4001 when that session
  logs out, on any process (realtime/sessions.py).
- Channels' dispatch loop starts a task and an asyncio.wait per message; this
  one keeps one reader task per inbox (the client, the channel layer). As in
  Channels, handlers run one at a time in the consumer's task, in arrival
  order, and an inbox is read again only once its message was handled.

https://channels.readthedocs.io/en/stable/topics/consumers.html
https://channels.readthedocs.io/en/stable/topics/databases.html
"""

import asyncio
import contextlib
import functools
import json

from channels.consumer import get_handler_name
from channels.db import aclose_old_connections
from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer
from django.db.backends.signals import connection_created

from realtime.close_codes import SESSION_ENDED
from realtime.sessions import session_group_of

database_opened = False


def note_database_opened(**kwargs):
    global database_opened
    database_opened = True


connection_created.connect(note_database_opened)


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

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls, "_sync", False):
            raise TypeError(f"{cls.__name__}: the mixin is for async consumers only")

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
        group = session_group_of(scope) if self.channel_layer else None
        if group:
            await self.channel_layer.group_add(group, self.channel_name)
        with contextlib.suppress(StopConsumer):
            await dispatch_one_at_a_time(inboxes, self.dispatch)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def realtime_session_ended(self, event):
        """The session this socket was opened with logged out (realtime/sessions.py)."""
        await self.close(code=SESSION_ENDED)

    async def dispatch(self, message):
        # AsyncConsumer.dispatch, with the hop only once there is a connection.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        if database_opened:
            await aclose_old_connections()
        try:
            await handler(message)
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
            if asyncio.current_task().cancelling():
                # Cancelled as the inbox returned, and the inbox swallowed it
                # (Python 3.11's wait_for can): the loop has ended, so stop
                # here, or the consumer never finishes and daphne kills it 10 s
                # later with a WARNING line.
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
