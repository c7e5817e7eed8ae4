"""The floor: a bare ASGI app (no Django, no Channels) serving the echo and chat.

`daphne bare_app:application` serves:
- /ws/echo/: sends each frame back in kind;
- /ws/chat/<room>/: the chat contract of the baked project: {"message": "<text>"}
  in, {"type": "chat.message", "message": ..., "user": "anonymous"} out to every
  member of the room, encoded once per message.

With BARE_LAYER=redis (and REDIS_URL), room messages go through Redis pub/sub,
one PUBLISH per message and one subscription per room per process, so that the
floor pays Redis's own cost. Otherwise rooms live in process memory.
"""

import asyncio
import json
import os
import re

CHAT_PATH = re.compile(r"/ws/chat/([A-Za-z0-9_.\-]{1,80})/\Z")
MAX_MESSAGE_LENGTH = 2000


class MemoryRooms:
    """Room members in process memory; a message is sent to each local member."""

    def __init__(self):
        self.members = {}

    async def join(self, room, send):
        self.members.setdefault(room, set()).add(send)

    async def leave(self, room, send):
        members = self.members.get(room)
        if members is not None:
            members.discard(send)
            if not members:
                del self.members[room]

    async def publish(self, room, text):
        await deliver(self.members.get(room, ()), text)


class RedisRooms(MemoryRooms):
    """Room members in process memory; messages travel through Redis pub/sub."""

    def __init__(self, url):
        super().__init__()
        self.url = url
        self.redis = None
        self.pubsub = None
        self.reader = None
        self.lock = asyncio.Lock()

    async def start(self):
        import redis.asyncio

        self.redis = redis.asyncio.Redis.from_url(self.url)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        # listen() ends when nothing is subscribed: this channel keeps it going.
        await self.pubsub.subscribe("bare-app.keepalive")
        self.reader = asyncio.create_task(self.read())

    async def join(self, room, send):
        async with self.lock:
            if self.redis is None:
                await self.start()
            first = room not in self.members
            await super().join(room, send)
            if first:
                await self.pubsub.subscribe(f"chat.{room}")

    async def leave(self, room, send):
        async with self.lock:
            await super().leave(room, send)
            if room not in self.members and self.pubsub is not None:
                await self.pubsub.unsubscribe(f"chat.{room}")

    async def publish(self, room, text):
        await self.redis.publish(f"chat.{room}", text)

    async def read(self):
        async for message in self.pubsub.listen():
            if message["type"] != "message":
                continue
            room = message["channel"].decode()[len("chat.") :]
            await deliver(self.members.get(room, ()), message["data"].decode())


async def deliver(members, text):
    event = {"type": "websocket.send", "text": text}
    for send in list(members):
        await send(event)


def make_rooms():
    if os.environ.get("BARE_LAYER") == "redis":
        return RedisRooms(os.environ["REDIS_URL"])
    return MemoryRooms()


rooms = make_rooms()


async def echo(receive, send):
    while True:
        event = await receive()
        if event["type"] == "websocket.receive":
            if event.get("text") is not None:
                await send({"type": "websocket.send", "text": event["text"]})
            else:
                await send({"type": "websocket.send", "bytes": event["bytes"]})
        elif event["type"] == "websocket.disconnect":
            return


def chat_reply(text):
    """The encoded broadcast for a client frame, or an encoded error for its sender."""
    try:
        content = json.loads(text) if text is not None else None
    except ValueError:
        content = None
    message = content.get("message") if isinstance(content, dict) else None
    if not isinstance(message, str) or len(message) > MAX_MESSAGE_LENGTH:
        return None, json.dumps({"type": "error", "error": "invalid message"})
    reply = {"type": "chat.message", "message": message, "user": "anonymous"}
    return json.dumps(reply), None


async def chat(room, receive, send):
    """Joins before accepting, like the baked consumer: once open, a member receives."""
    await rooms.join(room, send)
    try:
        await send({"type": "websocket.accept"})
        while True:
            event = await receive()
            if event["type"] == "websocket.receive":
                broadcast, error = chat_reply(event.get("text"))
                if error is not None:
                    await send({"type": "websocket.send", "text": error})
                else:
                    await rooms.publish(room, broadcast)
            elif event["type"] == "websocket.disconnect":
                return
    finally:
        await rooms.leave(room, send)


async def application(scope, receive, send):
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    path = scope["path"]
    room = CHAT_PATH.match(path)
    if path != "/ws/echo/" and room is None:
        await send({"type": "websocket.close"})
        return
    if room is None:
        await send({"type": "websocket.accept"})
        await echo(receive, send)
    else:
        await chat(room[1], receive, send)
