"""Channels' async consumers, with the database hop only when it can do something.

Channels closes stale database connections before every handler, on asgiref's
one sync thread: a hop per message. These bases hop only while a connection is
open. Why and the A/B figures: docs/decisions.md#the-database-hop.
"""

import weakref

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer as JsonBase
from channels.generic.websocket import AsyncWebsocketConsumer as Base
from django.db.backends.signals import connection_created

# Every database wrapper that has opened a connection, in any thread.
_opened = weakref.WeakSet()


def _note_opened(sender, connection, **kwargs):
    _opened.add(connection)


connection_created.connect(_note_opened)


def holds_open_connection():
    """Whether any database connection is open, in any thread of this process."""
    return any(wrapper.connection is not None for wrapper in list(_opened))


class SkipIdleDatabaseHop:
    async def dispatch(self, message):
        """Channels' dispatch; the hop to close old connections only if one is open."""
        if holds_open_connection():
            return await super().dispatch(message)
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class AsyncWebsocketConsumer(SkipIdleDatabaseHop, Base):
    """channels.generic.websocket.AsyncWebsocketConsumer, dispatch aside."""


class AsyncJsonWebsocketConsumer(SkipIdleDatabaseHop, JsonBase):
    """channels.generic.websocket.AsyncJsonWebsocketConsumer, dispatch aside."""
