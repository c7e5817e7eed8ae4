"""Chat rooms on channel-layer groups, as in the Channels tutorial (part 3).

A client sends {"message": "<text>"}; every member of the room, the sender
included, receives {"type": "chat.message", "message": ..., "user": ...}.
A bad frame gets {"type": "error", "error": ...}, only to its sender. Whenever
the room's members change, each gets {"type": "chat.presence", "users": [the
sorted names], "anonymous": <sockets without a user>} (chat/presence.py).
To make another group consumer from this one, leave out the presence calls and
chat_presence: presence is chat's own, on the CHAT_PRESENCE_* settings.
https://channels.readthedocs.io/en/stable/tutorial/part_3.html
"""

import json

from django.conf import settings

from chat import presence
from realtime_kit.consumers import AsyncWebsocketConsumer


def chat_message_from(text_data):
    """The message text of a client frame, or ValueError saying what is wrong."""
    try:
        message = json.loads(text_data or "").get("message")
    except (ValueError, RecursionError, AttributeError):
        message = None
    if not isinstance(message, str):
        raise ValueError('expected {"message": "<text>"}')
    if len(message) > settings.CHAT_MAX_MESSAGE_LENGTH:
        raise ValueError(
            f"message longer than {settings.CHAT_MAX_MESSAGE_LENGTH} characters"
        )
    return message


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room_name = self.scope["url_route"]["kwargs"]["room_name"]
        self.room_group_name = f"chat.{self.room_name}"
        self.user_name = self.scope["user"].get_username() or "anonymous"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()
        await presence.join(
            self.channel_layer,
            self.room_group_name,
            self.channel_name,
            self.scope["user"].get_username(),  # "" when anonymous
        )

    async def disconnect(self, close_code):
        # At once, with no Redis round trip to wait for (presence.leave).
        presence.leave(self.channel_layer, self.room_group_name, self.channel_name)
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = chat_message_from(text_data)
        except ValueError as error:
            reply = {"type": "error", "error": str(error)}
            await self.send(text_data=json.dumps(reply))
            return
        # Encoded once here, not once per member in chat_message.
        text = json.dumps(
            {"type": "chat.message", "message": message, "user": self.user_name}
        )
        await self.channel_layer.group_send(
            self.room_group_name, {"type": "chat.message", "text": text}
        )

    async def chat_message(self, event):
        await self.send(text_data=event["text"])

    async def chat_presence(self, event):
        await self.send(text_data=event["text"])
