"""The websocket close codes the kit sends: 4000 plus the RFC 6455 code it means.

Daphne lets an application close only with 1000 or 3000-4999, so the kit uses
the private range. uvicorn itself sends 1009 (message too big) and 1012.
https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1
"""

SESSION_ENDED = 4001  # RFC 6455 1001, going away: the session logged out
POLICY_VIOLATION = 4008  # RFC 6455 1008: over a rate limit
INVALID_DATA = 1007  # sent by uvicorn for a text message that is not UTF-8
MESSAGE_TOO_BIG = 1009  # sent by uvicorn for a message over WEBSOCKET_MAX_MESSAGE_BYTES
INTERNAL_ERROR = 4011  # RFC 6455 1011: the channel layer failed
