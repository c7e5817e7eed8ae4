"""Caps per client address, summed over all of its websockets: the outermost check.

A client is scope["client"][0]. Behind a proxy that is the proxy unless the
server takes the client's address from X-Forwarded-For: `manage.py serve`
(uvicorn) does for the proxies in SERVER_FORWARDED_ALLOW_IPS; daphne and
`manage.py runserver` do not, so there every client of one proxy shares caps.
A scope without "client" (Channels' WebsocketCommunicator) is not capped.

- WEBSOCKET_CLIENT_MAX_SOCKETS: sockets open (or opening) at once;
- WEBSOCKET_CLIENT_HANDSHAKE_RATE / _BURST: handshakes per second (token bucket);
- WEBSOCKET_CLIENT_RATE_LIMIT / _BURST: messages per second over all its
  sockets; the socket whose message goes over is closed with 4008;
- WEBSOCKET_CLIENT_COOLDOWN_SECONDS: once one of its sockets was closed with
  4008 or 4009 (or 1009 by uvicorn), its handshakes are refused this long.

A handshake over a cap is refused (a close before accept: HTTP 403) with one
WARNING line. 0 turns a cap off. The state is per process, in
memory: no Redis round trip, so the caps hold while Redis is down, and N
processes allow N times as much (deploy/nginx.conf caps across them). An
address with no socket, full buckets and no cooldown is forgotten.

https://asgi.readthedocs.io/en/latest/specs/www.html#websocket
"""

import logging
from time import monotonic

from realtime.close_codes import MESSAGE_TOO_BIG, POLICY_VIOLATION
from realtime.interception import WebsocketInterceptionMiddleware
from realtime.rate_limit import TokenBucket

logger = logging.getLogger(__name__)

# Close codes that start a client's cooldown: the rate limits, the size limit
# (ours, and uvicorn's own 1009 for a message over its ws_max_size).
COOLING_CODES = frozenset({POLICY_VIOLATION, MESSAGE_TOO_BIG, 1009})
# Idle addresses are looked for at most this often.
SWEEP_SECONDS = 1.0


class Client:
    """What one process knows of one client address."""

    __slots__ = ("cooling_until", "handshakes", "messages", "sockets")

    def __init__(self, limits):
        self.sockets = 0
        self.handshakes = limits.bucket(limits.handshake_rate, limits.handshake_burst)
        self.messages = limits.bucket(limits.rate, limits.burst)
        self.cooling_until = 0.0

    def is_idle(self, now):
        return (
            self.sockets == 0
            and now >= self.cooling_until
            and (self.handshakes is None or self.handshakes.is_full())
            and (self.messages is None or self.messages.is_full())
        )


class ClientLimitMiddleware(WebsocketInterceptionMiddleware):
    """Wraps `inner`; refuses or closes the sockets of a client over its caps."""

    def __init__(
        self,
        inner,
        *,
        max_sockets,
        handshake_rate,
        handshake_burst,
        rate,
        burst,
        cooldown_seconds,
    ):
        super().__init__(inner)
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
            logger.warning(
                "Websocket refused: client %s %s, on %r",
                address,
                refusal,
                scope["path"][:200],
            )
            await receive()  # websocket.connect
            await send({"type": "websocket.close"})
            return None
        client.sockets += 1
        scope["realtime.client"] = client
        try:
            return await super().__call__(scope, receive, send)
        finally:
            client.sockets -= 1
            if client.is_idle(monotonic()) and self.clients.get(address) is client:
                del self.clients[address]

    def refusal(self, client, now):
        """Why `client` may not open a socket now, or None."""
        if now < client.cooling_until:
            left = client.cooling_until - now
            return f"cooling down after a 4008/4009 close, {left:.1f} s left"
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
            del self.clients[address]

    def cool(self, client):
        if self.cooldown_seconds:
            client.cooling_until = monotonic() + self.cooldown_seconds

    async def on_receive(self, connection, message):
        client = connection.scope["realtime.client"]
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
            self.cool(client)
        return message

    async def on_send(self, connection, message):
        if message["type"] == "websocket.close" and (
            message.get("code") in COOLING_CODES
        ):
            self.cool(connection.scope["realtime.client"])
        return message
