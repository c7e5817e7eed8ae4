"""Websocket tickets: short-lived, single-use proofs of a user, for cookie-less clients.

A logged-in user gets a ticket (POST /accounts/ws-ticket/, or `manage.py
ws_ticket <username>`); the client offers the subprotocols ["ticket",
"<ticket>"]; the server selects "ticket", and scope["user"] is the ticket's
user: no cookie is consulted, and no Origin header is needed. A ticket is
Django's TimestampSigner over {"user": <pk>, "nonce": <random>}, with "." as
separator so that it is a valid subprotocol token, good for
WEBSOCKET_TICKET_SECONDS (60 by default) and for one handshake: redeeming it
records its nonce in the cache, which every process shares on Redis.
Tickets never travel in a URL, so they never reach an access log, and no log
line here contains one.

https://docs.djangoproject.com/en/5.2/topics/signing/
"""

import logging
import secrets

from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache

from realtime.interception import client_address

logger = logging.getLogger(__name__)

SUBPROTOCOL = "ticket"
_SIGNER = signing.TimestampSigner(salt="realtime.tickets", sep=".")


class TicketRefused(Exception):
    """Why a ticket does not open a socket: "expired", "forged", "used", ..."""


def issue_ticket(user):
    """A fresh ticket for `user`, and the seconds it stays valid."""
    payload = {"user": user.pk, "nonce": secrets.token_urlsafe(12)}
    return _SIGNER.sign_object(payload), settings.WEBSOCKET_TICKET_SECONDS


async def redeem_ticket(ticket):
    """The active user `ticket` was issued to; TicketRefused otherwise."""
    try:
        payload = _SIGNER.unsign_object(
            ticket, max_age=settings.WEBSOCKET_TICKET_SECONDS
        )
    except signing.SignatureExpired:
        raise TicketRefused("expired") from None
    except (signing.BadSignature, ValueError):
        raise TicketRefused("forged") from None
    used_key = f"realtime.ticket-used.{payload['nonce']}"
    if not await cache.aadd(used_key, True, settings.WEBSOCKET_TICKET_SECONDS + 5):
        raise TicketRefused("used already")
    user = await sync_to_async(active_user)(payload["user"])
    if user is None:
        raise TicketRefused("for no active user")
    return user


def active_user(pk):
    return get_user_model()._default_manager.filter(pk=pk, is_active=True).first()


def offered_ticket(scope):
    """The ticket a websocket handshake offers as ["ticket", "<ticket>"], or None."""
    subprotocols = scope.get("subprotocols") or ()
    if len(subprotocols) == 2 and subprotocols[0] == SUBPROTOCOL:
        return subprotocols[1]
    return None


class TicketAuthMiddleware:
    """scope["user"] from an offered ticket, else from the session cookie.

    Without a ticket this is Channels' AuthMiddlewareStack (cookies, session,
    user). With one, a bad ticket is refused at the handshake with one WARNING
    line; a good one sets the user and selects the "ticket" subprotocol.
    """

    def __init__(self, inner):
        self.inner = inner
        self.session_auth = AuthMiddlewareStack(inner)

    async def __call__(self, scope, receive, send):
        ticket = offered_ticket(scope) if scope["type"] == "websocket" else None
        if ticket is None:
            return await self.session_auth(scope, receive, send)
        try:
            user = await redeem_ticket(ticket)
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

        scope = {**scope, "user": user, "auth": "ticket"}
        return await self.inner(scope, receive, send_selecting_ticket)
