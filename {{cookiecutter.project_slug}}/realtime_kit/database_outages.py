"""When the database is down: one log line per socket and a refused handshake,
not a traceback.

With the database unreachable, AuthMiddlewareStack's session lookup (any
handshake carrying a session cookie) or a consumer's query raises Django's
OperationalError or InterfaceError; the server would log some 140 lines of
traceback and fail the handshake with 500. This middleware catches those two,
logs one ERROR line (the error's first line), and ends the socket: refused at
the handshake (HTTP 403), or closed with 4011 once
open. Any other error propagates. Nothing is retried: once the database is
back, new sockets work.
https://docs.djangoproject.com/en/5.2/ref/exceptions/#database-exceptions
"""

import logging

from django.db import InterfaceError, OperationalError

from realtime_kit.close_codes import INTERNAL_ERROR
from realtime_kit.interception import WebsocketInterceptionMiddleware, client_address

logger = logging.getLogger(__name__)

DATABASE_OUTAGE_ERRORS = (OperationalError, InterfaceError)


def first_line(error):
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else ""


class DatabaseOutageMiddleware(WebsocketInterceptionMiddleware):
    """Wraps `inner`; a database outage: one ERROR line, the socket refused or 4011."""

    async def on_error(self, connection, error):
        if not isinstance(error, DATABASE_OUTAGE_ERRORS):
            return False
        scope = connection.scope
        logger.error(
            "Database failed (%s: %s) on %r from %s; socket ended with %s",
            type(error).__name__,
            first_line(error),
            scope["path"][:200],
            client_address(scope),
            INTERNAL_ERROR,
        )
        await connection.close(INTERNAL_ERROR)
        return True
