"""A mixin for async consumers whose handlers never touch the database.

Before every message it dispatches, Channels closes stale database connections
on Django's single sync thread, so that long-lived consumers do not hold dead
connections. A consumer that never queries the database pays that thread hop
for nothing; this mixin dispatches without it. Remove the mixin from a
consumer the day it starts using the ORM.

https://channels.readthedocs.io/en/stable/topics/databases.html
"""

from channels.consumer import get_handler_name


class DatabaseFreeMixin:
    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']!r}")
        await handler(message)
