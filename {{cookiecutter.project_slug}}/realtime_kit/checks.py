"""System checks of the websocket settings: `manage.py check` says what is wrong.

https://docs.djangoproject.com/en/5.2/topics/checks/
"""

from django.conf import settings
from django.core import checks

from realtime_kit.serving import layer_is_in_process

# Daphne, the development server, refuses websocket messages over 1 MiB.
MAX_MESSAGE_BYTES_CAP = 1024 * 1024


@checks.register(checks.Tags.security)
def check_websocket_origins(app_configs, **kwargs):
    if "*" not in settings.ALLOWED_HOSTS:
        return []
    return [
        checks.Error(
            "ALLOWED_HOSTS contains '*': AllowedHostsOriginValidator would then let"
            " every website open websockets here with its visitors' cookies.",
            hint="List this site's hosts in DJANGO_ALLOWED_HOSTS,"
            " e.g. example.com,www.example.com.",
            id="realtime_kit.E001",
        )
    ]


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
                id="realtime_kit.E002",
            )
        )
    if not 0 < settings.WEBSOCKET_MAX_MESSAGE_BYTES <= MAX_MESSAGE_BYTES_CAP:
        problems.append(
            checks.Error(
                f"WEBSOCKET_MAX_MESSAGE_BYTES={settings.WEBSOCKET_MAX_MESSAGE_BYTES}"
                f" must be from 1 to {MAX_MESSAGE_BYTES_CAP} (1 MiB).",
                id="realtime_kit.E003",
            )
        )
    if settings.WEBSOCKET_PING_TIMEOUT_SECONDS > settings.WEBSOCKET_PING_SECONDS:
        problems.append(
            checks.Warning(
                "WEBSOCKET_PING_TIMEOUT_SECONDS is longer than WEBSOCKET_PING_SECONDS:"
                " a dead client is noticed only after several pings.",
                id="realtime_kit.W002",
            )
        )
    return problems
