"""Caps per client address, summed over all of its websockets: the outermost layer.

Sockets at once, handshakes and messages per second, and a cooldown after a
4008, 1007 or 1009 close (WEBSOCKET_CLIENT_*); per process, in memory. A refused
address gets one log line a minute: docs/decisions.md#caps-per-client-address.
https://asgi.readthedocs.io/en/latest/specs/www.html#websocket
"""

import logging
from time import monotonic

from django.conf import settings

from realtime_kit.close_codes import INVALID_DATA, MESSAGE_TOO_BIG, POLICY_VIOLATION
from realtime_kit.interception import WebsocketInterceptionMiddleware
from realtime_kit.rate_limit import TokenBucket

logger = logging.getLogger(__name__)

# Close codes that start a client's cooldown: a rate limit, and the server's
# own 1009 for a message over WEBSOCKET_MAX_MESSAGE_BYTES and 1007 for a text
# message that is not UTF-8 (no browser sends one).
COOLING_CODES = frozenset({POLICY_VIOLATION, MESSAGE_TOO_BIG, INVALID_DATA})
# Idle addresses are looked for at most this often.
SWEEP_SECONDS = 1.0
# Refusals of one address are logged once per this many seconds; the next line
# (or the line when the address is forgotten) says how many were left out.
REFUSAL_LOG_SECONDS = 60.0


def settings_caps():
    return {
        "max_sockets": settings.WEBSOCKET_CLIENT_MAX_SOCKETS,
        "handshake_rate": settings.WEBSOCKET_CLIENT_HANDSHAKE_RATE,
        "handshake_burst": settings.WEBSOCKET_CLIENT_HANDSHAKE_BURST,
        "rate": settings.WEBSOCKET_CLIENT_RATE_LIMIT,
        "burst": settings.WEBSOCKET_CLIENT_RATE_BURST,
        "cooldown_seconds": settings.WEBSOCKET_CLIENT_COOLDOWN_SECONDS,
    }


class Client:
    """What one process knows of one client address."""

    __slots__ = (
        "cooling_until",
        "handshakes",
        "messages",
        "refusals_logged_at",
        "refusals_unlogged",
        "sockets",
    )

    def __init__(self, limits):
        self.sockets = 0
        self.handshakes = limits.bucket(limits.handshake_rate, limits.handshake_burst)
        self.messages = limits.bucket(limits.rate, limits.burst)
        self.cooling_until = 0.0
        self.refusals_logged_at = None
        self.refusals_unlogged = 0

    def is_idle(self, now):
        return (
            self.sockets == 0
            and now >= self.cooling_until
            and (self.handshakes is None or self.handshakes.is_full())
            and (self.messages is None or self.messages.is_full())
        )


class ClientLimitMiddleware(WebsocketInterceptionMiddleware):
    """Wraps `inner`; refuses or closes the sockets of a client over its caps."""

    def __init__(self, inner, **caps):
        super().__init__(inner)
        caps = {**settings_caps(), **caps}
        max_sockets, rate, burst = caps["max_sockets"], caps["rate"], caps["burst"]
        handshake_rate, handshake_burst = caps["handshake_rate"], caps["handshake_burst"]
        cooldown_seconds = caps["cooldown_seconds"]
        if min(max_sockets, handshake_rate, rate, cooldown_seconds) < 0:
            raise ValueError("client caps must not be negative (0 turns one off)")
        if (handshake_rate and handshake_burst < 1) or (rate and burst < 1):
            raise ValueError("a client burst must be at least 1")
        self.max_sockets = max_sockets
        self.handshake_rate = handshake_rate
        self.handshake_burst = handshake_burst
        self.rate = rate
        self.burst = burst
        self.cooldown_seconds = cooldown_seconds
        self.clients = {}
        self.swept_at = monotonic()
        # Messages pass through only when a cap needs to see them.
        self.intercepts_receive = bool(rate or cooldown_seconds)
        self.intercepts_send = bool(cooldown_seconds)
        self.intercepts = self.intercepts_receive or self.intercepts_send
        self.caps_handshakes = bool(
            max_sockets or handshake_rate or rate or cooldown_seconds
        )

    @staticmethod
    def bucket(rate, burst):
        return TokenBucket(rate, burst) if rate else None

    async def __call__(self, scope, receive, send):
        client_info = scope.get("client") if scope["type"] == "websocket" else None
        if not client_info or not self.caps_handshakes:
            return await self.inner(scope, receive, send)
        address = client_info[0]
        now = monotonic()
        if now - self.swept_at >= SWEEP_SECONDS:
            self.sweep(now)
        client = self.clients.get(address)
        if client is None:
            client = self.clients[address] = Client(self)
        refusal = self.refusal(client, now)
        if refusal is not None:
            self.log_refusal(address, client, refusal, scope, now)
            await receive()  # websocket.connect
            await send({"type": "websocket.close"})
            return None
        client.sockets += 1
        scope["realtime_kit.client"] = client
        try:
            return await super().__call__(scope, receive, send)
        finally:
            client.sockets -= 1
            if client.is_idle(monotonic()) and self.clients.get(address) is client:
                self.forget(address)

    @staticmethod
    def log_refusal(address, client, refusal, scope, now):
        """One line per address per REFUSAL_LOG_SECONDS; the rest are counted."""
        logged_at = client.refusals_logged_at
        if logged_at is not None and now - logged_at < REFUSAL_LOG_SECONDS:
            client.refusals_unlogged += 1
            return
        unlogged, client.refusals_unlogged = client.refusals_unlogged, 0
        client.refusals_logged_at = now
        logger.warning(
            "Websocket refused: client %s %s, on %r%s",
            address,
            refusal,
            scope["path"][:200],
            f" ({unlogged} more refused, not logged, in the last"
            f" {REFUSAL_LOG_SECONDS:.0f} s)"
            if unlogged
            else "",
        )

    def forget(self, address):
        client = self.clients.pop(address)
        if client.refusals_unlogged:
            logger.warning(
                "Websocket refused: client %s had %s more handshakes refused,"
                " not logged, in the last %.0f s",
                address,
                client.refusals_unlogged,
                REFUSAL_LOG_SECONDS,
            )

    def refusal(self, client, now):
        """Why `client` may not open a socket now, or None."""
        if now < client.cooling_until:
            left = client.cooling_until - now
            return f"cooling down after a 4008/1009/1007 close, {left:.1f} s left"
        if self.max_sockets and client.sockets >= self.max_sockets:
            return f"over {self.max_sockets} sockets"
        if client.handshakes is not None and not client.handshakes.take():
            return (
                f"over {self.handshake_rate} handshakes/s"
                f" (burst {self.handshake_burst})"
            )
        return None

    def sweep(self, now):
        """Forget the addresses that have nothing left to remember."""
        self.swept_at = now
        idle = [address for address, c in self.clients.items() if c.is_idle(now)]
        for address in idle:
            self.forget(address)

    def cool(self, client):
        if self.cooldown_seconds:
            client.cooling_until = monotonic() + self.cooldown_seconds

    async def on_receive(self, connection, message):
        client = connection.scope["realtime_kit.client"]
        kind = message["type"]
        if kind == "websocket.receive":
            if client.messages is None or client.messages.take():
                return message
            scope = connection.scope
            logger.warning(
                "Websocket closed (%s): client %s over %s messages/s (burst %s)"
                " over its sockets, on %r",
                POLICY_VIOLATION,
                scope["client"][0],
                self.rate,
                self.burst,
                scope["path"][:200],
            )
            self.cool(client)
            return await connection.close(POLICY_VIOLATION)
        if kind == "websocket.disconnect" and message.get("code") in COOLING_CODES:
            # uvicorn logs its 1007 itself (one line through LOGGING's filters).
            if message.get("code") == MESSAGE_TOO_BIG:
                logger.warning(
                    "Websocket closed (%s): client %s sent a message over"
                    " WEBSOCKET_MAX_MESSAGE_BYTES, on %r",
                    MESSAGE_TOO_BIG,
                    connection.scope["client"][0],
                    connection.scope["path"][:200],
                )
            self.cool(client)
        return message

    async def on_send(self, connection, message):
        if message["type"] == "websocket.close" and (
            message.get("code") in COOLING_CODES
        ):
            self.cool(connection.scope["realtime_kit.client"])
        return message
