"""When the channel layer's backend is down: one ERROR line per socket, not a traceback.

Connection errors (OSError, redis-py's ConnectionError and TimeoutError) that
escape a consumer end its socket: refused at the handshake, or closed with 4011.
Other errors propagate. Nothing is retried: clients reconnect.
https://channels.readthedocs.io/en/stable/topics/channel_layers.html
"""

import logging

from realtime_kit.close_codes import INTERNAL_ERROR
from realtime_kit.interception import WebsocketInterceptionMiddleware, client_address

logger = logging.getLogger(__name__)


def outage_errors():
    """The exception types a channel layer raises when its backend is unreachable."""
    errors = [OSError]  # ConnectionError and TimeoutError among them
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # no Redis layer in this project
        pass
    else:
        errors += [RedisConnectionError, RedisTimeoutError]
    return tuple(errors)


OUTAGE_ERRORS = outage_errors()


class LayerOutageMiddleware(WebsocketInterceptionMiddleware):
    """Wraps `inner`; a channel-layer outage: one ERROR line and a 4011 close."""

    async def on_error(self, connection, error):
        if not isinstance(error, OUTAGE_ERRORS):
            return False
        scope = connection.scope
        logger.error(
            "Channel layer failed (%s: %s) on %r from %s; socket ended with %s",
            type(error).__name__,
            error,
            scope["path"][:200],
            client_address(scope),
            INTERNAL_ERROR,
        )
        await connection.close(INTERNAL_ERROR)
        return True
