"""Consumers of the tests' own: what every socket gets, whatever apps are installed."""

import json

from realtime_kit.consumers import AsyncWebsocketConsumer


class Echo(AsyncWebsocketConsumer):
    """Sends every frame back, in kind."""

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data, bytes_data=bytes_data)


class Room(AsyncWebsocketConsumer):
    """Everyone on /ws/test/room/ hears every {"say": ...}: a chat in a few lines."""

    group_name = "test.room"

    async def connect(self):
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        text = json.loads(text_data).get("say")
        await self.channel_layer.group_send(
            self.group_name, {"type": "room.said", "text": text}
        )

    async def room_said(self, event):
        await self.send(text_data=json.dumps({"said": event["text"]}))


class WhoAmI(AsyncWebsocketConsumer):
    """Answers every frame with the name of the user the stack says is connected."""

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=self.scope["user"].get_username() or "anonymous")
