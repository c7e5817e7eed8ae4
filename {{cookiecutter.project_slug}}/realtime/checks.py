"""System checks of the websocket settings: `manage.py check` says what is wrong.

https://docs.djangoproject.com/en/5.2/topics/checks/
"""

from django.conf import settings
from django.core import checks

from realtime.origins import parse_allowed
from realtime.serving import MAX_MESSAGE_BYTES_CAP, layer_is_in_process


@checks.register()
def check_websocket_origins(app_configs, **kwargs):
    problems = []
    for pattern in settings.WEBSOCKET_ALLOWED_ORIGINS:
        try:
            parse_allowed(pattern)
        except ValueError as error:
            problems.append(checks.Error(str(error), id="realtime.E001"))
    if "*" in settings.ALLOWED_HOSTS and not settings.WEBSOCKET_ALLOWED_ORIGINS:
        problems.append(
            checks.Warning(
                "DJANGO_ALLOWED_HOSTS=* allows every host, but no websocket origin:"
                " every websocket handshake is refused.",
                hint="List the origins of your pages in WEBSOCKET_ALLOWED_ORIGINS,"
                " e.g. https://example.com.",
                id="realtime.W001",
            )
        )
    return problems


@checks.register()
def check_server(app_configs, **kwargs):
    problems = []
    if settings.SERVER_PROCESSES > 1 and layer_is_in_process():
        problems.append(
            checks.Error(
                f"SERVER_PROCESSES={settings.SERVER_PROCESSES}, but the channel layer"
                " is in-memory: it does not cross processes, so a chat message or a"
                " notification would reach only the sockets of one process.",
                hint="Set SERVER_PROCESSES=1, or use a Redis channel layer"
                " (config/channel_layer.py).",
                id="realtime.E002",
            )
        )
    if not 0 < settings.WEBSOCKET_MAX_MESSAGE_BYTES <= MAX_MESSAGE_BYTES_CAP:
        problems.append(
            checks.Error(
                f"WEBSOCKET_MAX_MESSAGE_BYTES={settings.WEBSOCKET_MAX_MESSAGE_BYTES}"
                f" must be from 1 to {MAX_MESSAGE_BYTES_CAP} (1 MiB).",
                id="realtime.E003",
            )
        )
    if settings.WEBSOCKET_PING_TIMEOUT_SECONDS > settings.WEBSOCKET_PING_SECONDS:
        problems.append(
            checks.Warning(
                "WEBSOCKET_PING_TIMEOUT_SECONDS is longer than WEBSOCKET_PING_SECONDS:"
                " a dead client is noticed only after several pings.",
                id="realtime.W002",
            )
        )
    return problems
