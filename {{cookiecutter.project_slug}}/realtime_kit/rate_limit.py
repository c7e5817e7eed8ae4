"""Close a websocket that sends faster than a rate: a token bucket per connection.

WEBSOCKET_RATE_LIMIT messages/s, WEBSOCKET_RATE_BURST at once (0: no limit);
over it the socket closes with 4008 and one WARNING line.
https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1
"""

import logging
from time import monotonic

from django.conf import settings

from realtime_kit.close_codes import POLICY_VIOLATION
from realtime_kit.interception import WebsocketInterceptionMiddleware, client_address

logger = logging.getLogger(__name__)


class TokenBucket:
    """`burst` tokens refilled at `rate` per second; take() spends one if any."""

    __slots__ = ("burst", "rate", "tokens", "updated")

    def __init__(self, rate, burst):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = monotonic()

    def take(self):
        now = monotonic()
        tokens = self.tokens + (now - self.updated) * self.rate
        self.updated = now
        if tokens >= 1:
            self.tokens = min(tokens, self.burst) - 1
            return True
        self.tokens = tokens
        return False

    def is_full(self):
        return self.tokens + (monotonic() - self.updated) * self.rate >= self.burst


class RateLimitMiddleware(WebsocketInterceptionMiddleware):
    """Wraps `inner`; closes with 4008 a client over `rate`/s (`burst` at once)."""

    def __init__(self, inner, rate=None, burst=None):
        super().__init__(inner)
        if rate is None:
            rate, burst = settings.WEBSOCKET_RATE_LIMIT, settings.WEBSOCKET_RATE_BURST
        if rate < 0 or burst < 1:
            raise ValueError("the rate must not be negative and the burst at least 1")
        self.rate = rate
        self.burst = burst
        self.intercepts = rate > 0  # a rate of 0: no limit, nothing added

    async def on_receive(self, connection, message):
        if message["type"] != "websocket.receive":
            return message
        bucket = connection.state.get(TokenBucket)
        if bucket is None:
            bucket = connection.state[TokenBucket] = TokenBucket(self.rate, self.burst)
        if bucket.take():
            return message
        scope = connection.scope
        logger.warning(
            "Websocket closed (%s): over %s messages/s (burst %s) on %r from %s",
            POLICY_VIOLATION,
            self.rate,
            self.burst,
            scope["path"][:200],
            client_address(scope),
        )
        return await connection.close(POLICY_VIOLATION)
