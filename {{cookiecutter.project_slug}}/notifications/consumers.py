"""Notifications for a logged-in user: every tab, every process, as they are sent.

An anonymous handshake is refused (daphne answers 403) with one WARNING line.
Each socket joins its user's group; notifications.push sends to that group.
https://channels.readthedocs.io/en/stable/topics/authentication.html
"""

import logging

from notifications.push import user_group
from realtime_kit.consumers import AsyncJsonWebsocketConsumer

logger = logging.getLogger(__name__)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            logger.warning(
                "Websocket refused: %r needs a logged-in user, from %s",
                self.scope["path"],
                self.scope.get("client"),
            )
            await self.close()
            return
        self.group_name = user_group(user)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        pass  # this socket only listens: client frames are ignored

    async def notification_message(self, event):
        await self.send_json({"type": "notification", "message": event["message"]})
