"""System checks of the chat presence settings: `manage.py check` fails before a server starts.

https://docs.djangoproject.com/en/5.2/topics/checks/
"""

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_presence_timing(app_configs, **kwargs):
    heartbeat = settings.CHAT_PRESENCE_HEARTBEAT_SECONDS
    errors = []
    if heartbeat >= settings.CHAT_PRESENCE_EXPIRY_SECONDS:
        errors.append(
            Error(
                f"CHAT_PRESENCE_HEARTBEAT_SECONDS ({heartbeat}) must be below"
                f" CHAT_PRESENCE_EXPIRY_SECONDS ({settings.CHAT_PRESENCE_EXPIRY_SECONDS}):"
                " live sockets would expire between heartbeats.",
                id="chat.E001",
            )
        )
    # Only channels-redis's queue-based layer expires group members on its own.
    config = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
    group_expiry = config.get("group_expiry")
    if group_expiry is not None and heartbeat >= group_expiry:
        errors.append(
            Error(
                f"CHAT_PRESENCE_HEARTBEAT_SECONDS ({heartbeat}) must be below the"
                f" layer's group_expiry (CHANNEL_LAYER_GROUP_EXPIRY, {group_expiry}):"
                " live chat sockets would drop out of their rooms between heartbeats.",
                id="chat.E002",
            )
        )
    return errors
