"""The production server: uvicorn, configured from the settings (`manage.py serve`).

Development keeps daphne (`manage.py runserver`). In production uvicorn serves
the same application, about twice as fast here, and answers an unknown
websocket path with a real 404 (the websocket denial response daphne lacks).

https://www.uvicorn.org/settings/
https://channels.readthedocs.io/en/stable/deploying.html
"""

import logging
import urllib.parse

import uvicorn
from django.conf import settings
from uvicorn.protocols.websockets.websockets_sansio_impl import (
    WebSocketsSansIOProtocol,
)

APPLICATION = "config.asgi:application"
# RFC 6455: "an endpoint is going away, such as a server going down".
GOING_AWAY = 1001
# Daphne refuses websocket messages over 1 MiB; the production server does too.
MAX_MESSAGE_BYTES_CAP = 1024 * 1024
IN_PROCESS_LAYERS = (
    "realtime.memory_layer.MemoryChannelLayer",
    "channels.layers.InMemoryChannelLayer",
)


class GoingAwayWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol, closing open sockets with 1001 when it stops.

    uvicorn closes them with 1012 (service restart); 1001 is what RFC 6455 names
    a server going down, and what clients treat as "reconnect elsewhere".
    """

    def shutdown(self):
        if self.handshake_complete and not self.close_sent:
            self.queue.put_nowait({"type": "websocket.disconnect", "code": GOING_AWAY})
            self.conn.send_close(GOING_AWAY)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
        super().shutdown()

    async def send(self, message):
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
