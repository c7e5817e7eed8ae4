"""Close websockets that send a message larger than a limit below daphne's 1 MiB cap.

A text or binary message over `max_bytes` (UTF-8 bytes for text) closes the
socket with 4009 (message too big; see close_codes.py) and logs one WARNING
line with the path and client address; the application never sees the message. Setting:
WEBSOCKET_MAX_MESSAGE_BYTES. Daphne itself drops anything over 1 MiB.

https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1
"""

import logging

from realtime.close_codes import MESSAGE_TOO_BIG
from realtime.interception import WebsocketInterceptionMiddleware, client_address

logger = logging.getLogger(__name__)


def text_fits(text, max_bytes):
    """Whether `text` fits in `max_bytes` UTF-8 bytes; encodes only near the limit."""
    length = len(text)
    if length > max_bytes:
        return False
    if length * 4 <= max_bytes:
        return True
    return len(text.encode("utf-8", "surrogatepass")) <= max_bytes


class MessageSizeLimitMiddleware(WebsocketInterceptionMiddleware):
    """Wraps `inner`; closes with 4009 a connection that sends over `max_bytes`."""

    def __init__(self, inner, max_bytes):
        super().__init__(inner)
        self.max_bytes = max_bytes

    async def on_receive(self, connection, message):
        if message["type"] != "websocket.receive":
            return message
        text = message.get("text")
        if text is not None:
            if text_fits(text, self.max_bytes):
                return message
            size = len(text.encode("utf-8", "surrogatepass"))
        else:
            size = len(message.get("bytes") or b"")
            if size <= self.max_bytes:
                return message
        scope = connection.scope
        logger.warning(
            "Websocket closed (%s): a message of %s bytes, limit %s, on %r from %s",
            MESSAGE_TOO_BIG,
            size,
            self.max_bytes,
            scope["path"][:200],
            client_address(scope),
        )
        return await connection.close(MESSAGE_TOO_BIG)
