"""Chat rooms: every member of a room receives every message sent to it.

Each room is a channel-layer group. A client sends {"message": "<text>"}; every
member, the sender included, receives {"type": "chat.message", "message": ...,
"user": ...}. Invalid frames get an error reply, only to their sender. While
the channel layer is down, a new chat socket is refused and an open one is
closed with 4011, with one ERROR line each (see channel_layer_faults.py).
https://channels.readthedocs.io/en/stable/tutorial/part_3.html
"""

import json

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from realtime.consumers.channel_layer_faults import ChannelLayerFaultsMixin
from realtime.consumers.database_free import DatabaseFreeMixin
from realtime.consumers.json_messages import (
    InvalidMessage,
    error_reply,
    parse_json_object,
)
from realtime.consumers.steady_dispatch import SteadyDispatchMixin
from realtime.rooms import is_valid_room_name, room_group_name


def parse_chat_message(text_data, bytes_data, max_length):
    content = parse_json_object(text_data, bytes_data)
    message = content.get("message")
    if not isinstance(message, str):
        raise InvalidMessage('expected {"message": "<text>"}')
    if len(message) > max_length:
        raise InvalidMessage(f"message longer than {max_length} characters")
    return message


class ChatConsumer(
    ChannelLayerFaultsMixin,  # first: it also guards SteadyDispatchMixin's setup
    SteadyDispatchMixin,
    DatabaseFreeMixin,
    AsyncWebsocketConsumer,
):
    group_name = None

    async def connect(self):
        room = self.scope["url_route"]["kwargs"]["room"]
        if not is_valid_room_name(room):
            await self.close()  # before accept: the handshake is refused
            return
        self.group_name = room_group_name(room)
        self.user_name = self.scope["user"].get_username() or "anonymous"
        joined = await self.use_layer("group_add", self.group_name, self.channel_name)
        if joined:
            await self.accept()

    async def disconnect(self, code):
        if self.group_name is not None:
            await self.use_layer("group_discard", self.group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = parse_chat_message(
                text_data, bytes_data, settings.CHAT_MAX_MESSAGE_LENGTH
            )
        except InvalidMessage as error:
            await self.send(text_data=json.dumps(error_reply(error)))
            return
        # Encoded once here rather than once per member in chat_message.
        text = json.dumps(
            {"type": "chat.message", "message": message, "user": self.user_name}
        )
        await self.use_layer(
            "group_send",
            self.group_name,
            {"type": "chat.message", "text": text},
        )

    async def chat_message(self, event):
        await self.send(text_data=event["text"])
