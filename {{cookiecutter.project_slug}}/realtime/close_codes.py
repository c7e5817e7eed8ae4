"""The websocket close codes this project's server sends: 4000 plus the RFC 6455 code.

Daphne (through autobahn) lets an application close a socket only with 1000 or
a code from 3000 to 4999: asking for 1008, 1009 or 1011 makes the application
raise, and daphne logs a traceback and sends 1011 itself. So the server uses
the private range, with the standard meaning readable in the last digits.

https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1
https://www.iana.org/assignments/websocket/websocket.xml#close-code-number
"""

SESSION_ENDED = 4001  # RFC 6455 1001, going away: the session logged out
POLICY_VIOLATION = 4008  # RFC 6455 1008: over the rate limit
MESSAGE_TOO_BIG = 4009  # RFC 6455 1009: over the size limit
INTERNAL_ERROR = 4011  # RFC 6455 1011: the channel layer failed
# IANA 1013, try again later: the client read too slowly. The production server
# (realtime/serving.py) closes a socket whose sends stayed blocked on it for
# WEBSOCKET_SEND_TIMEOUT_SECONDS. Not 4008 (a client that sends too fast, told
# to wait 10 s) nor 4011 (the server failed): the client did nothing wrong on
# purpose, its link or tab fell behind; it may reconnect at once, and should
# fetch what it missed.
TOO_SLOW = 4013
