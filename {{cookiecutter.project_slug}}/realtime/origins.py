"""Refuse websocket handshakes from origins not listed in WEBSOCKET_ALLOWED_ORIGINS.

An origin matches on scheme, host and port: "https://example.com" allows
https://example.com (port 443) only; "http://localhost:*" allows any port.
A handshake without an Origin header is refused too, unless it offers a
websocket ticket (non-browser clients send none): the ticket check decides
then. A refusal is a close before accept (daphne answers 403), with one
WARNING line; no channel-layer call is made, so refusals stay cheap and work
while Redis is down.

https://channels.readthedocs.io/en/stable/topics/security.html
"""

import logging
from urllib.parse import urlsplit

from realtime.interception import client_address
from realtime.tickets import offered_ticket

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(origin):
    """(scheme, host, port) of an origin, or None when it cannot be one."""
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def parse_allowed(pattern):
    """(scheme, host, port or "*") of an allowed origin; ValueError if malformed."""
    any_port = pattern.strip().endswith(":*")
    parsed = parse_origin(pattern.strip()[:-2] if any_port else pattern)
    if parsed is None:
        raise ValueError(f"{pattern!r} is not an origin such as https://example.com")
    scheme, host, port = parsed
    return scheme, host, "*" if any_port else port


class OriginMiddleware:
    """Wraps `inner`; lets through websockets from `allowed_origins` only."""

    def __init__(self, inner, allowed_origins):
        self.inner = inner
        self.allowed = [parse_allowed(pattern) for pattern in allowed_origins]

    def allows(self, origin):
        parsed = parse_origin(origin)
        if parsed is None:
            return False
        scheme, host, port = parsed
        return any(
            scheme == allowed_scheme
            and host == allowed_host
            and allowed_port in ("*", port)
            for allowed_scheme, allowed_host, allowed_port in self.allowed
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.inner(scope, receive, send)
        origin = dict(scope.get("headers", ())).get(b"origin")
        if origin is None and offered_ticket(scope) is not None:
            return await self.inner(scope, receive, send)
        text = origin.decode("latin-1") if origin is not None else None
        if text is not None and self.allows(text):
            return await self.inner(scope, receive, send)
        logger.warning(
            "Websocket refused: origin %r not allowed on %r from %s",
            text[:200] if text else None,
            scope["path"][:200],
            client_address(scope),
        )
        await receive()  # websocket.connect
        await send({"type": "websocket.close"})
