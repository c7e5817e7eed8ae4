"""Websocket tickets: short-lived, single-use proofs of a user, for cookie-less clients.

Issued by POST /accounts/ws-ticket/ or `manage.py ws_ticket`, offered as the
subprotocols ["ticket", "<ticket>"], good for WEBSOCKET_TICKET_SECONDS and one
handshake, tied to the session that asked: docs/decisions.md#websocket-tickets.
https://docs.djangoproject.com/en/5.2/topics/signing/
"""

import logging
import secrets

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache

from realtime_kit.interception import client_address
from realtime_kit.sessions import session_group

logger = logging.getLogger(__name__)

SUBPROTOCOL = "ticket"
_SIGNER = signing.TimestampSigner(salt="realtime.tickets", sep=".")


class TicketRefused(Exception):
    """Why a ticket does not open a socket: "expired", "forged", "used", ..."""


def issue_ticket(user, session_key=None):
    """A fresh ticket for `user` (of the session `session_key`), and its lifetime."""
    group = session_group(session_key) if session_key else ""
    payload = {"user": user.pk, "nonce": secrets.token_urlsafe(12), "session": group}
    return _SIGNER.sign_object(payload), settings.WEBSOCKET_TICKET_SECONDS


def session_ended_key(group):
    return f"realtime_kit.session-ended.{group}"


def refuse_tickets_of(session_key):
    """After a logout: the session's unused tickets open nothing (from sync code)."""
    cache.set(
        session_ended_key(session_group(session_key)),
        True,
        settings.WEBSOCKET_TICKET_SECONDS + 5,
    )


async def redeem_ticket(ticket):
    """(the active user `ticket` was issued to, its session's group); or TicketRefused."""
    try:
        payload = _SIGNER.unsign_object(
            ticket, max_age=settings.WEBSOCKET_TICKET_SECONDS
        )
    except signing.SignatureExpired:
        raise TicketRefused("expired") from None
    except (signing.BadSignature, ValueError):
        raise TicketRefused("forged") from None
    group = payload.get("session", "")
    if group and await cache.aget(session_ended_key(group)):
        raise TicketRefused("of a session that logged out")
    used_key = f"realtime_kit.ticket-used.{payload['nonce']}"
    if not await cache.aadd(used_key, True, settings.WEBSOCKET_TICKET_SECONDS + 5):
        raise TicketRefused("used already")
    user = await sync_to_async(active_user)(payload["user"])
    if user is None:
        raise TicketRefused("for no active user")
    return user, group


def active_user(pk):
    return get_user_model()._default_manager.filter(pk=pk, is_active=True).first()


def offered_ticket(scope):
    """The ticket a websocket handshake offers as ["ticket", "<ticket>"], or None."""
    subprotocols = scope.get("subprotocols") or ()
    if len(subprotocols) == 2 and subprotocols[0] == SUBPROTOCOL:
        return subprotocols[1]
    return None


class TicketMiddleware:
    """Inside AuthMiddlewareStack: scope["user"] from an offered ticket.

    A bad ticket is refused at the handshake with one WARNING line; a good one
    sets the user and selects the "ticket" subprotocol.
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        ticket = offered_ticket(scope) if scope["type"] == "websocket" else None
        if ticket is None:
            return await self.inner(scope, receive, send)
        try:
            user, group = await redeem_ticket(ticket)
        except TicketRefused as refusal:
            logger.warning(
                "Websocket refused: a ticket %s on %r from %s",
                refusal,
                scope["path"][:200],
                client_address(scope),
            )
            await receive()  # websocket.connect
            await send({"type": "websocket.close"})
            return None

        async def send_selecting_ticket(message):
            if message["type"] == "websocket.accept" and not message.get("subprotocol"):
                message = {**message, "subprotocol": SUBPROTOCOL}
            await send(message)

        scope = {
            **scope,
            "user": user,
            "auth": "ticket",
            "realtime_kit.session_group": group,
        }
        return await self.inner(scope, receive, send_selecting_ticket)
