"""Who is in each chat room, for the in-memory layer: exact, within the one process.

The in-memory layer does not cross processes, and neither does this: a dict of
rooms to their sockets. A change is announced at most once per
CHAT_PRESENCE_ANNOUNCE_SECONDS per room: a room of 500 joining at once gets a
few announcements, not one per join. (With a Redis layer, the project's presence
lives in Redis instead, with a heartbeat and an expiry.)
https://channels.readthedocs.io/en/stable/topics/channel_layers.html#groups
"""

import asyncio
import json

from django.conf import settings


def presence_text(user_names):
    """The chat.presence frame: the users' sorted names, and anonymous sockets counted."""
    names = list(user_names)
    users = sorted({name for name in names if name})
    frame = {"type": "chat.presence", "users": users, "anonymous": names.count("")}
    return json.dumps(frame)


class Presence:
    """Every room's sockets in this process, each with its user's name."""

    def __init__(self):
        self.rooms = {}  # room -> {channel name: user name}
        self.announcing = set()  # rooms with an announcement on its way
        self.tasks = set()

    def join(self, layer, room, channel, user_name):
        self.rooms.setdefault(room, {})[channel] = user_name
        # A consumer that ends without its disconnect (an error) leaves too.
        asyncio.current_task().add_done_callback(
            lambda _: self.leave(layer, room, channel)
        )
        self.announce_later(layer, room)

    def leave(self, layer, room, channel):
        sockets = self.rooms.get(room, {})
        if sockets.pop(channel, None) is None:
            return
        if not sockets:
            del self.rooms[room]
        self.announce_later(layer, room)

    def announce_later(self, layer, room):
        if room in self.announcing:
            return  # the one on its way will say it
        self.announcing.add(room)
        task = asyncio.create_task(self.announce(layer, room))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def announce(self, layer, room):
        try:
            await asyncio.sleep(settings.CHAT_PRESENCE_ANNOUNCE_SECONDS)
        finally:
            self.announcing.discard(room)
        text = presence_text(self.rooms.get(room, {}).values())
        await layer.group_send(room, {"type": "chat.presence", "text": text})


_presence = Presence()


async def join(layer, room, channel, user_name):
    """Count `channel` in `room` as `user_name` ("" for anonymous) and say so."""
    _presence.join(layer, room, channel, user_name)


def leave(layer, room, channel):
    """Count `channel` out of `room`, at once, and say so."""
    _presence.leave(layer, room, channel)
