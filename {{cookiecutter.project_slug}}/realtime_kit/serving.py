"""The production server: uvicorn, configured from the settings (`manage.py serve`).

Only uvicorn's public settings: message size, pings, proxies, shutdown. Its
log lines go through Django's LOGGING. Development keeps daphne (runserver).
https://www.uvicorn.org/settings/
"""

import uvicorn
from django.conf import settings

APPLICATION = "config.asgi:application"
IN_PROCESS_LAYERS = (
    "realtime_kit.memory_layer.MemoryChannelLayer",
    "channels.layers.InMemoryChannelLayer",
)


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
        ws="websockets-sansio",
        ws_max_size=settings.WEBSOCKET_MAX_MESSAGE_BYTES,
        ws_ping_interval=settings.WEBSOCKET_PING_SECONDS,
        ws_ping_timeout=settings.WEBSOCKET_PING_TIMEOUT_SECONDS,
        proxy_headers=True,
        forwarded_allow_ips=settings.SERVER_FORWARDED_ALLOW_IPS,
        timeout_graceful_shutdown=settings.SERVER_SHUTDOWN_SECONDS,
        # Django's LOGGING shapes uvicorn's lines (config/settings.py).
        log_config=None,
        server_header=False,
        # Channels' ProtocolTypeRouter has no lifespan handler.
        lifespan="off",
    )


def serve():
    """Run uvicorn in this process, or a supervisor of SERVER_PROCESSES processes."""
    config = uvicorn_config()
    if config.workers > 1:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()
