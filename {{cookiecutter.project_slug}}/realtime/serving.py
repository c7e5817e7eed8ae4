"""The production server: uvicorn, configured from the settings (`manage.py serve`).

Development keeps daphne (`manage.py runserver`). In production uvicorn serves
the same application, about twice as fast here, and answers an unknown
websocket path with a real 404 (the websocket denial response daphne lacks).

https://www.uvicorn.org/settings/
https://channels.readthedocs.io/en/stable/deploying.html
"""

import asyncio
import contextlib
import logging
import socket
import struct
import urllib.parse

import uvicorn
from django.conf import settings
from uvicorn.protocols.websockets.websockets_sansio_impl import (
    WebSocketsSansIOProtocol,
)
from websockets.protocol import State

from realtime.close_codes import TOO_SLOW
from realtime.interception import client_address

logger = logging.getLogger(__name__)

APPLICATION = "config.asgi:application"
# RFC 6455: "an endpoint is going away, such as a server going down".
GOING_AWAY = 1001
# Seconds a close frame gets to reach a client before its connection is aborted.
CLOSE_GRACE_SECONDS = 2.0
# SO_LINGER on, for 0 s: closing the socket sends a reset.
RESET_ON_CLOSE = struct.pack("ii", 1, 0)
# Daphne refuses websocket messages over 1 MiB; the production server does too.
MAX_MESSAGE_BYTES_CAP = 1024 * 1024
IN_PROCESS_LAYERS = (
    "realtime.memory_layer.MemoryChannelLayer",
    "channels.layers.InMemoryChannelLayer",
)


class GoingAwayWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol, with three changes.

    - Open sockets close with 1001 when the server stops. uvicorn sends 1012
      (service restart); 1001 is what RFC 6455 names a server going down, and
      what clients treat as "reconnect elsewhere".
    - A send that waits on a client that reads nothing gives up after
      WEBSOCKET_SEND_TIMEOUT_SECONDS: the socket closes with 4013 (too slow),
      the application gets websocket.disconnect and its later sends are dropped.
      uvicorn makes a send wait while the transport's write buffer is over its
      high-water mark, so without a limit a consumer stays stuck in `send`
      for as long as the client lingers.
    - A socket whose close cannot get out (the client reads nothing, so the
      close frame sits behind what is buffered) is aborted after a short grace:
      closing a transport waits for its buffer to drain, which never happens.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        timeout = settings.WEBSOCKET_SEND_TIMEOUT_SECONDS
        self.send_timeout = timeout if timeout > 0 else None
        self.closed_too_slow = False
        self.abort_timers = []

    def connection_lost(self, exc):
        for timer in self.abort_timers:
            timer.cancel()
        self.abort_timers.clear()
        super().connection_lost(exc)

    def abort_after(self, seconds):
        """Drop the connection in `seconds` unless it is gone by then."""
        if not self.disconnected:
            timer = self.loop.call_later(seconds, self.abort)
            self.abort_timers.append(timer)

    def abort(self):
        """Reset the connection: the kernel drops what it still holds for it.

        A plain close of the socket would leave the kernel sending its buffer
        (up to net.ipv4.tcp_wmem's maximum, 4 MB) to a client that reads nothing.
        """
        if self.disconnected:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
        self.transport.abort()

    def shutdown(self):
        if self.handshake_complete and not self.close_sent:
            self.queue.put_nowait({"type": "websocket.disconnect", "code": GOING_AWAY})
            self.conn.send_close(GOING_AWAY)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
        super().shutdown()
        self.abort_after(CLOSE_GRACE_SECONDS)

    def keepalive_timeout(self):
        super().keepalive_timeout()
        self.abort_after(CLOSE_GRACE_SECONDS)

    async def run_asgi(self):
        await super().run_asgi()
        # uvicorn closes the transport when the client answers the close, or
        # after close_timeout; either close waits for the buffer to drain.
        self.abort_after(self.close_timeout + CLOSE_GRACE_SECONDS)

    def close_too_slow(self):
        self.closed_too_slow = True
        logger.warning(
            "Websocket closed with %d (too slow): a send to %s waited %g s",
            TOO_SLOW,
            client_address(self.scope),
            self.send_timeout,
        )
        self.queue.put_nowait({"type": "websocket.disconnect", "code": TOO_SLOW})
        self.stop_keepalive()
        if not self.close_sent and self.conn.state is State.OPEN:
            # Queued behind what the client has not read: it gets the code if
            # it catches up within the grace, else the abort.
            self.conn.send_close(TOO_SLOW)
            self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:
            # Reads stay on, so that the client's close reply is seen.
            self.read_paused = False
            self.transport.resume_reading()
        self.abort_after(CLOSE_GRACE_SECONDS)

    async def send(self, message):
        if self.handshake_complete and self.initial_response is None:
            if self.closed_too_slow or (self.close_sent and not self.disconnected):
                # Closed by this server (too slow, keepalive timeout): the
                # application learns it from receive; uvicorn would raise here.
                return
            if self.send_timeout and not self.writable.is_set():
                try:
                    await asyncio.wait_for(self.writable.wait(), self.send_timeout)
                except TimeoutError:
                    if not self.closed_too_slow:  # another send may have timed out
                        self.close_too_slow()
                    return
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get(
            "more_body"
        ):
            # A denial response (the 404 of realtime/route_not_found.py) ends
            # the handshake; uvicorn would log an ERROR that it never completed.
            self.handshake_complete = True


def without_query(value):
    if isinstance(value, str) and value.startswith("/") and "?" in value:
        return urllib.parse.urlsplit(value).path
    return value


class QueryStringFilter(logging.Filter):
    """Drops query strings from uvicorn's log lines: they may carry secrets."""

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(without_query(arg) for arg in record.args)
        return True


def log_config():
    """uvicorn's own logging configuration, with the query-string filter added."""
    config = {**uvicorn.config.LOGGING_CONFIG}
    config["filters"] = {"no_query": {"()": QueryStringFilter}}
    config["handlers"] = {
        name: {**handler, "filters": ["no_query"]}
        for name, handler in config["handlers"].items()
    }
    return config


def bind_address(bind):
    """("host", port) from "host:port", "[::1]:port" or ":port"."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"SERVER_BIND={bind!r} is not host:port")
    return (host.strip("[]") or "0.0.0.0"), int(port)  # noqa: S104


def layer_is_in_process():
    return settings.CHANNEL_LAYERS["default"]["BACKEND"] in IN_PROCESS_LAYERS


def uvicorn_config():
    """A uvicorn.Config for this project, from the SERVER_* and WEBSOCKET_* settings."""
    host, port = bind_address(settings.SERVER_BIND)
    return uvicorn.Config(
        APPLICATION,
        host=host,
        port=port,
        workers=settings.SERVER_PROCESSES,
        ws=GoingAwayWebSocketProtocol,
        ws_max_size=settings.WEBSOCKET_MAX_MESSAGE_BYTES,
        ws_ping_interval=settings.WEBSOCKET_PING_SECONDS,
        ws_ping_timeout=settings.WEBSOCKET_PING_TIMEOUT_SECONDS,
        proxy_headers=True,
        forwarded_allow_ips=settings.SERVER_FORWARDED_ALLOW_IPS,
        timeout_graceful_shutdown=settings.SERVER_SHUTDOWN_SECONDS,
        log_config=log_config(),
        server_header=False,
        # Channels' ProtocolTypeRouter has no lifespan handler.
        lifespan="off",
    )


def serve():
    """Run uvicorn in this process, or a supervisor of SERVER_PROCESSES processes."""
    config = uvicorn_config()
    server = uvicorn.Server(config)
    if config.workers > 1:
        from uvicorn.supervisors import Multiprocess

        socket = config.bind_socket()
        Multiprocess(config, sockets=[socket]).run()
    else:
        server.run()
