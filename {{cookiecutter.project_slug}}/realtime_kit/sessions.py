"""Sockets that close (4001) when their session logs out, or their user's login ends.

Inside AuthMiddlewareStack: each logged-in socket listens on a group named after
a hash of its session key and one named after its user; end_session_sockets()
and end_user_sockets() tell a group, on every process.
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


def user_group(user_pk):
    return "user." + hashlib.sha256(str(user_pk).encode()).hexdigest()[:40]


def session_group_of(scope):
    """The group of the logged-in session a socket belongs to, or None."""
    if "realtime_kit.session_group" in scope:  # a ticket names its session
        return scope["realtime_kit.session_group"] or None
    user, session = scope.get("user"), scope.get("session")
    if session is None or user is None or not user.is_authenticated:
        return None
    return session_group(session.session_key) if session.session_key else None


def groups_of(scope):
    """The groups whose end closes this socket: its session's and its user's."""
    groups = []
    session = session_group_of(scope)
    if session:
        groups.append(session)
    user = scope.get("user")
    if user is not None and user.is_authenticated:
        groups.append(user_group(user.pk))
    return groups


def end_group_sockets(group, what):
    try:
        async_to_sync(get_channel_layer().group_send)(
            group, {"type": SESSION_ENDED_TYPE}
        )
    except OUTAGE_ERRORS as error:
        logger.error(
            "Sockets of %s not closed: the channel layer failed (%s: %s)",
            what,
            type(error).__name__,
            error,
        )


def end_session_sockets(session_key):
    """Close every socket of this session, on every process (from sync code)."""
    end_group_sockets(session_group(session_key), "an ended session")


def end_user_sockets(user_pk):
    """Close every socket of this user, whatever its session or ticket, on every
    process (from sync code): after a deactivation or a password change."""
    end_group_sockets(user_group(user_pk), f"user {user_pk}")


class SessionEndMiddleware:
    """Wraps `inner`; closes a logged-in socket with 4001 when its session ends
    or its user's sockets are ended."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        groups = groups_of(scope) if scope["type"] == "websocket" else []
        layer = get_channel_layer() if groups else None
        if layer is None:
            return await self.inner(scope, receive, send)
        channel = await layer.new_channel()
        for group in groups:
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
            for group in groups:
                with contextlib.suppress(*OUTAGE_ERRORS):
                    await layer.group_discard(group, channel)
