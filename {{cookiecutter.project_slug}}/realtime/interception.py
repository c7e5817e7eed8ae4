"""A base ASGI middleware that sees every websocket message of a connection, both ways.

Subclass it and override on_receive (client to application) and/or on_send
(application to client). A hook returns the message to pass on, changed or
not, or None to drop it. Only overridden hooks wrap `receive` or `send`, so a
hook left alone costs nothing, and no task or queue is ever added. For example,
a middleware that drops empty text frames and stamps every outgoing text:

    class DropEmptyFrames(WebsocketInterceptionMiddleware):
        async def on_receive(self, connection, message):
            if message["type"] == "websocket.receive" and message.get("text") == "":
                return None  # the application never sees it
            return message

        async def on_send(self, connection, message):
            if message.get("text"):
                return {**message, "text": "[server] " + message["text"]}
            return message

    application = DropEmptyFrames(URLRouter(websocket_urlpatterns))

`connection` is one InterceptedConnection per socket: its scope, a `state`
dict for the subclass, and close(code), which closes the socket and returns
the disconnect message for on_receive to hand to the application. Scopes other
than websocket pass straight through.

https://channels.readthedocs.io/en/stable/topics/routing.html
https://asgi.readthedocs.io/en/latest/specs/www.html#websocket
"""


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
        """Close the socket with `code`; return the disconnect for the application.

        From on_receive, `return await connection.close(code)`: the application
        sees the disconnect instead of the message and shuts down as usual.
        """
        if not self.closed:
            self.closed = True
            await self.send({"type": "websocket.close", "code": code})
        return {"type": "websocket.disconnect", "code": code}


class WebsocketInterceptionMiddleware:
    """Wraps `inner`; calls on_receive and on_send for each websocket message."""

    def __init__(self, inner):
        self.inner = inner
        own_class = type(self)
        base = WebsocketInterceptionMiddleware
        self.intercepts_receive = own_class.on_receive is not base.on_receive
        self.intercepts_send = own_class.on_send is not base.on_send

    async def on_receive(self, connection, message):
        """A message from the client: return it, a changed one, or None to drop it."""
        return message

    async def on_send(self, connection, message):
        """A message to the client: return it, a changed one, or None to drop it."""
        return message

    def on_finish(self, connection, error):
        """When the application returns, if a hook is overridden; `error` it raised."""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket" or not (
            self.intercepts_receive or self.intercepts_send
        ):
            return await self.inner(scope, receive, send)
        connection = InterceptedConnection(scope, send)
        if self.intercepts_receive:
            on_receive = self.on_receive

            async def intercepted_receive():
                while True:
                    message = await on_receive(connection, await receive())
                    if message is not None:
                        return message

        else:
            intercepted_receive = receive
        if self.intercepts_send:
            on_send = self.on_send

            async def intercepted_send(message):
                message = await on_send(connection, message)
                if message is not None:
                    await send(message)

        else:
            intercepted_send = send
        try:
            result = await self.inner(scope, intercepted_receive, intercepted_send)
        except BaseException as error:
            self.on_finish(connection, error)
            raise
        self.on_finish(connection, None)
        return result
