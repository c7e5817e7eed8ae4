"""Run a sync consumer's handlers on the event loop, for handlers that never block.

A SyncConsumer hands every message to asgiref's single sync thread (after a
close_old_connections sweep there), and each self.send() hops back to the
event loop. With many connections, all of them queue for that one thread. For
a handler that does nothing blocking, this mixin calls it directly on the
loop: its sends are collected and sent, in order, as soon as it returns. The
handler code stays synchronous.

Only for handlers that never block and never use the database or
async_to_sync: Django refuses ORM calls from the event loop
(SynchronousOnlyOperation), so such a change fails loudly. Remove the mixin
the day the consumer starts doing blocking work.

https://channels.readthedocs.io/en/stable/topics/consumers.html
"""

from channels.consumer import get_handler_name


class InlineDispatchMixin:
    async def __call__(self, scope, receive, send):
        self._send_now = send
        self._outbox = []
        await super().__call__(scope, receive, send)

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']!r}")
        outbox = self._outbox
        self.base_send = outbox.append  # the handler's sends, in order
        try:
            handler(message)
        finally:
            while outbox:
                await self._send_now(outbox.pop(0))
