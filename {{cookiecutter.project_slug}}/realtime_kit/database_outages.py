"""When the database is down: one ERROR line per socket, not a traceback.

Django's OperationalError and InterfaceError that escape the stack (the session
lookup of any handshake with a cookie, a consumer's query) end the socket:
refused at the handshake (403), or closed with 4011. Other errors propagate.
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
