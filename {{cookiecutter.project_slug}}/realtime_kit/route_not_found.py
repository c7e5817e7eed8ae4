"""Refuse websocket handshakes for paths no route matches: one WARNING line, no 500.

Wraps the outermost URLRouter, whose ValueError for an unknown path the servers
answer with a 500 and a traceback; a path with an empty segment is unknown too.
Refused with 403 on every server (docs/decisions.md#unknown-paths). Other errors pass.
https://channels.readthedocs.io/en/stable/topics/routing.html
"""

import logging

from channels.routing import URLRouter

from realtime_kit.interception import client_address

logger = logging.getLogger(__name__)

def router_matches(router, path):
    """Whether `router` (and any URLRouter nested in it) has a route for `path`."""
    path = path.lstrip("/")
    for route in router.routes:
        match = route.pattern.match(path)
        if not match:
            continue
        if not isinstance(route.callback, URLRouter):
            return True
        remaining_path = match[0]
        if router_matches(route.callback, remaining_path):
            return True
    return False


def scope_matches(router, scope):
    """Whether the outermost `router` has a route for this scope.

    A path with an empty segment ("//ws/echo/", "/ws//echo/") has none: the
    outermost router strips only the leading slashes, and no page would use it.
    """
    path = scope["path"]
    root_path = scope.get("root_path", "")
    if root_path:
        if not path.startswith(root_path):
            return False
        path = path[len(root_path) :]
    if "//" in path:
        return False
    return router_matches(router, path)


class RouteNotFoundMiddleware:
    """Wraps a URLRouter; refuses websocket handshakes it has no route for."""

    def __init__(self, router):
        if not isinstance(router, URLRouter):
            raise TypeError("RouteNotFoundMiddleware wraps a URLRouter")
        self.inner = self.router = router

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket" or scope_matches(self.router, scope):
            return await self.inner(scope, receive, send)
        logger.warning(
            "Websocket refused: no route for path %r from %s",
            scope["path"][:200],
            client_address(scope),
        )
        await receive()  # websocket.connect
        await send({"type": "websocket.close"})
