"""Send a notification to every open socket of a user, on every server process.

`notify(user, "Your export is ready")` from sync code, `await anotify(...)` from
async code. Each of the user's sockets on /ws/notifications/ receives
{"type": "notification", "message": ...}; nothing is stored for later.
https://channels.readthedocs.io/en/stable/topics/channel_layers.html#using-outside-of-consumers
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def user_group(user):
    return f"notifications.user.{user.pk}"


async def anotify(user, message):
    await get_channel_layer().group_send(
        user_group(user), {"type": "notification.message", "message": message}
    )


def notify(user, message):
    async_to_sync(anotify)(user, message)
