"""A base ASGI middleware that sees every websocket message of a connection, both ways.

Override on_receive / on_send (return the message, a changed one, or None to drop
it), on_error (True once handled) or on_finish. Once the socket is closed, later
sends from the application are dropped quietly. Example: realtime_kit/README.md.
https://asgi.readthedocs.io/en/latest/specs/www.html#websocket
"""

try:  # daphne's websockets (autobahn): a send in the close handshake raises this
    from autobahn.exception import Disconnected
except ImportError:  # no daphne installed
    Disconnected = OSError

# A send to a client that left before the application heard of it: uvicorn raises
# ClientDisconnected (an OSError), daphne autobahn's Disconnected.
CLIENT_GONE = (OSError, Disconnected)


def client_address(scope):
    """The client's "host:port" from the scope, for log lines."""
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "unknown"


class InterceptedConnection:
    """One websocket connection as the interception hooks see it."""

    __slots__ = ("closed", "scope", "send", "state")

    def __init__(self, scope, send):
        self.scope = scope
        self.send = send  # the server's send, past this middleware's on_send
        self.state = {}
        self.closed = False

    async def close(self, code):
        """Close the socket with `code` (before accept: refuse the handshake).

        Returns the disconnect message for the application: from on_receive,
        `return await connection.close(code)` and the application shuts down
        as if the client had left.
        """
        if not self.closed:
            self.closed = True
            await self.send({"type": "websocket.close", "code": code})
        return {"type": "websocket.disconnect", "code": code}


HOOKS = ("on_receive", "on_send", "on_error", "on_finish")


class WebsocketInterceptionMiddleware:
    """Wraps `inner`; calls the overridden hooks for each websocket connection."""

    def __init__(self, inner):
        self.inner = inner
        own_class, base = type(self), WebsocketInterceptionMiddleware
        overridden = {
            name
            for name in HOOKS
            if getattr(own_class, name) is not getattr(base, name)
        }
        self.intercepts_receive = "on_receive" in overridden
        self.intercepts_send = "on_send" in overridden
        self.intercepts = bool(overridden)

    async def on_receive(self, connection, message):
        """A message from the client: return it, a changed one, or None to drop it."""
        return message

    async def on_send(self, connection, message):
        """A message to the client: return it, a changed one, or None to drop it."""
        return message

    async def on_error(self, connection, error):
        """The application raised `error`: True once handled, False to re-raise."""
        return False

    def on_finish(self, connection, error):
        """The application returned (`error` None) or raised `error`."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket" or not self.intercepts:
            return await self.inner(scope, receive, send)
        connection = InterceptedConnection(scope, send)
        on_receive = self.on_receive if self.intercepts_receive else None
        on_send = self.on_send if self.intercepts_send else None

        async def intercepted_receive():
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    connection.closed = True
                if on_receive is not None:
                    message = await on_receive(connection, message)
                if message is not None:
                    return message

        async def intercepted_send(message):
            if connection.closed:
                return  # the socket is gone: nothing to send it on
            if on_send is not None:
                message = await on_send(connection, message)
                if message is None:
                    return
            if message["type"] == "websocket.close":
                connection.closed = True
            try:
                await send(message)
            except CLIENT_GONE:  # its disconnect is on its way to the application
                connection.closed = True

        # A middleware that does not look at what the client sends passes the
        # server's receive on as it is: a coroutine less per message.
        inner_receive = intercepted_receive if on_receive is not None else receive
        try:
            result = await self.inner(scope, inner_receive, intercepted_send)
        except BaseException as error:
            self.on_finish(connection, error)
            if isinstance(error, Exception) and await self.on_error(connection, error):
                return None
            raise
        self.on_finish(connection, None)
        return result
