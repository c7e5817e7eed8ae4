"""Sockets that close (4001) when the browser session they were opened in logs out.

Inside AuthMiddlewareStack: each socket of a logged-in session listens on a
channel-layer group named after a hash of the session key (the key itself is
a credential); end_session_sockets() tells that group, on every process.
https://channels.readthedocs.io/en/stable/topics/channel_layers.html#groups
"""

import asyncio
import contextlib
import hashlib
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from realtime_kit.close_codes import SESSION_ENDED
from realtime_kit.layer_outages import OUTAGE_ERRORS

logger = logging.getLogger(__name__)

SESSION_ENDED_TYPE = "realtime_kit.session_ended"


def session_group(session_key):
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def session_group_of(scope):
    """The group of the logged-in session a socket belongs to, or None."""
    if "realtime_kit.session_group" in scope:  # a ticket names its session
        return scope["realtime_kit.session_group"] or None
    user, session = scope.get("user"), scope.get("session")
    if session is None or user is None or not user.is_authenticated:
        return None
    return session_group(session.session_key) if session.session_key else None


def end_session_sockets(session_key):
    """Close every socket of this session, on every process (from sync code)."""
    try:
        async_to_sync(get_channel_layer().group_send)(
            session_group(session_key), {"type": SESSION_ENDED_TYPE}
        )
    except OUTAGE_ERRORS as error:
        logger.error(
            "Sockets of an ended session not closed: the channel layer failed (%s: %s)",
            type(error).__name__,
            error,
        )


class SessionEndMiddleware:
    """Wraps `inner`; closes a logged-in socket with 4001 when its session ends."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        group = session_group_of(scope) if scope["type"] == "websocket" else None
        layer = get_channel_layer() if group else None
        if layer is None:
            return await self.inner(scope, receive, send)
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        closed = False

        async def send_unless_closed(message):
            if not closed:
                await send(message)

        async def close_when_told():
            nonlocal closed
            while (await layer.receive(channel))["type"] != SESSION_ENDED_TYPE:
                pass
            closed = True
            await send({"type": "websocket.close", "code": SESSION_ENDED})

        watcher = asyncio.create_task(close_when_told())
        try:
            return await self.inner(scope, receive, send_unless_closed)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, *OUTAGE_ERRORS):
                await watcher
            with contextlib.suppress(*OUTAGE_ERRORS):
                await layer.group_discard(group, channel)
