"""Says once when a proxy's forwarded headers are not believed: its clients are one.

A request with X-Forwarded-For whose peer is not in SERVER_FORWARDED_ALLOW_IPS
came through an untrusted proxy: every client behind it shares one address for
the per-address caps and throttles. One WARNING line per process says so.
https://www.uvicorn.org/settings/#http
"""

import logging

logger = logging.getLogger(__name__)

FORWARDED_FOR = b"x-forwarded-for"


def forwarded_addresses(scope):
    for name, value in scope.get("headers") or ():
        if name == FORWARDED_FOR:
            return [part.strip() for part in value.decode("latin-1").split(",")]
    return None


class UntrustedProxyWarning:
    """Wraps the ASGI application; logs one WARNING at the first request or
    handshake forwarded by a proxy whose forwarded headers were not believed."""

    def __init__(self, inner):
        self.inner = inner
        self.warned = False

    async def __call__(self, scope, receive, send):
        if not self.warned and scope["type"] in ("http", "websocket"):
            self.check(scope)
        return await self.inner(scope, receive, send)

    def check(self, scope):
        forwarded = forwarded_addresses(scope)
        client = scope.get("client")
        if not forwarded or not client or client[0] in forwarded:
            return
        self.warned = True
        logger.warning(
            "A request from %s carries X-Forwarded-For, but %s is not in"
            " SERVER_FORWARDED_ALLOW_IPS: every client behind it counts as one"
            " address for the per-address caps (WEBSOCKET_CLIENT_*) and the login"
            " throttles. Add the proxy's address to SERVER_FORWARDED_ALLOW_IPS."
            " (Said once per process.)",
            client[0],
            client[0],
        )
