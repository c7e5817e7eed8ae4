"""Sockets that end with the browser session they were opened in.

Each socket of a logged-in session joins a channel-layer group named after
that session (a hash of its key: the key itself is a credential). When the
session logs out, end_session_sockets() tells that group, on every process,
and each socket closes with 4001 (RealtimeConsumerMixin handles it).
https://channels.readthedocs.io/en/stable/topics/channel_layers.html#groups
"""

import hashlib
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from realtime.layer_outages import OUTAGE_ERRORS

logger = logging.getLogger(__name__)

SESSION_ENDED_EVENT = {"type": "realtime.session_ended"}


def session_group(session_key):
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:40]
    return f"session.{digest}"


def session_group_of(scope):
    """The group of the logged-in session a socket was opened with, or None."""
    user, session = scope.get("user"), scope.get("session")
    if session is None or user is None or not user.is_authenticated:
        return None
    key = session.session_key
    return session_group(key) if key else None


def end_session_sockets(session_key):
    """Close every socket of this session, on every process (from sync code)."""
    try:
        async_to_sync(get_channel_layer().group_send)(
            session_group(session_key), SESSION_ENDED_EVENT
        )
    except OUTAGE_ERRORS as error:
        logger.error(
            "Sockets of an ended session not closed: the channel layer failed (%s: %s)",
            type(error).__name__,
            error,
        )
