"""An in-memory channel layer whose cost per message does not grow with the process.

The contract of `channels.layers.InMemoryChannelLayer`, without its sweep of every
channel and group on each receive and group_send, its queue per receive, its
deepcopy and its task per group member. One process only, like Channels' own:
https://channels.readthedocs.io/en/stable/topics/channel_layers.html
"""

import asyncio
import logging
import time
import uuid
from collections import deque
from copy import deepcopy

from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer

logger = logging.getLogger(__name__)

# Values that copies may share: they cannot change.
IMMUTABLE = frozenset({str, bytes, int, float, bool, type(None)})


def copy_message(value):
    """A copy of `value` that shares nothing mutable with it: deepcopy, but built
    by type for the dicts, lists and scalars that messages are made of."""
    kind = type(value)
    if kind is dict:
        return {
            key: item if type(item) in IMMUTABLE else copy_message(item)
            for key, item in value.items()
        }
    if kind is list:
        return [
            item if type(item) in IMMUTABLE else copy_message(item) for item in value
        ]
    if kind in IMMUTABLE:
        return value
    return deepcopy(value)


def require_dict(message):
    if not isinstance(message, dict):
        raise TypeError(f"a message must be a dict, not {type(message).__name__}")


class Inbox:
    """A channel's messages, oldest first, and the receive() calls waiting on it."""

    __slots__ = ("capacity", "messages", "waiters")

    def __init__(self, capacity):
        self.capacity = capacity
        self.messages = deque()  # (expiry time, message)
        self.waiters = deque()  # one future per waiting receive()

    def wake(self):
        """Wake the receiver that has waited longest, if any."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def idle(self):
        return not self.messages and not self.waiters


class MemoryChannelLayer(BaseChannelLayer):
    extensions = ["groups", "flush"]
    # Seconds between sweeps of unread channels and stale group memberships.
    sweep_interval = 1.0

    def __init__(
        self,
        expiry=60,
        group_expiry=86400,
        capacity=100,
        channel_capacity=None,
        **kwargs,
    ):
        super().__init__(expiry=expiry, capacity=capacity, **kwargs)
        # Compiled here: BaseChannelLayer leaves the patterns as given, which
        # get_capacity cannot read.
        self.channel_capacity = self.compile_capacities(channel_capacity or {})
        self.group_expiry = group_expiry
        self.inboxes = {}  # channel name -> Inbox
        self.groups = {}  # group name -> {channel name: time it joined}
        self.next_sweep = 0.0

    async def send(self, channel, message):
        require_dict(message)
        now = time.time()
        self.sweep_if_due(now)
        inbox = self.inbox(channel)
        self.expire(channel, inbox, now)
        if not self.put(inbox, message, now):
            raise ChannelFull(channel)

    async def receive(self, channel):
        self.sweep_if_due(time.time())
        while True:
            # Looked up on every turn: a flush or a sweep may have replaced it.
            inbox = self.inbox(channel)
            if inbox.messages:
                expires, message = inbox.messages.popleft()
                if expires >= time.time():
                    return message
                self.leave_groups(channel)
                continue
            waiter = asyncio.get_running_loop().create_future()
            inbox.waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in inbox.waiters:
                    inbox.waiters.remove(waiter)
                elif inbox.messages:
                    inbox.wake()  # woken for a message it will not take
                if inbox.idle() and self.inboxes.get(channel) is inbox:
                    del self.inboxes[channel]
                raise

    async def new_channel(self, prefix="specific."):
        return f"{prefix}.inmemory!{uuid.uuid4().hex}"

    async def flush(self):
        """Drop every message and group; receivers still waiting keep waiting."""
        self.groups = {}
        self.inboxes = {
            channel: inbox for channel, inbox in self.inboxes.items() if inbox.waiters
        }
        for inbox in self.inboxes.values():
            inbox.messages.clear()

    async def close(self):
        pass

    async def group_add(self, group, channel):
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        self.groups.setdefault(group, {})[channel] = time.time()

    async def group_discard(self, group, channel):
        self.require_valid_channel_name(channel)
        self.require_valid_group_name(group)
        members = self.groups.get(group)
        if members is not None:
            members.pop(channel, None)
            if not members:
                del self.groups[group]

    async def group_send(self, group, message):
        require_dict(message)
        self.require_valid_group_name(group)
        now = time.time()
        self.sweep_if_due(now)
        members = self.groups.get(group, {})
        joined_after = now - self.group_expiry
        sent = full = 0
        for channel, joined in list(members.items()):
            if joined < joined_after:
                del members[channel]
                continue
            inbox = self.inbox(channel)
            if self.expire(channel, inbox, now):
                continue  # it has left the group
            sent += 1
            if not self.put(inbox, message, now):
                full += 1
        if full:
            logger.info(
                "%s of %s channels over capacity in group %s", full, sent, group
            )
        # One yield, so that a loop of group_send calls lets its receivers run.
        await asyncio.sleep(0)

    def inbox(self, channel):
        inbox = self.inboxes.get(channel)
        if inbox is None:  # a channel with an inbox has a valid name
            self.require_valid_channel_name(channel)
            inbox = self.inboxes[channel] = Inbox(self.get_capacity(channel))
        return inbox

    def put(self, inbox, message, now):
        """Queue a copy of `message` in `inbox`; False if it is full."""
        if len(inbox.messages) >= inbox.capacity:
            return False
        inbox.messages.append((now + self.expiry, copy_message(message)))
        inbox.wake()
        return True

    def expire(self, channel, inbox, now):
        """Drop the expired messages of `inbox`; if there were any, as in Channels,
        its channel leaves its groups. True if it did."""
        messages = inbox.messages
        if not messages or messages[0][0] >= now:
            return False
        while messages and messages[0][0] < now:
            messages.popleft()
        self.leave_groups(channel)
        return True

    def leave_groups(self, channel):
        for members in self.groups.values():
            members.pop(channel, None)

    def sweep_if_due(self, now):
        """Drop unread expired messages, idle inboxes and stale memberships."""
        if now < self.next_sweep:
            return
        self.next_sweep = now + self.sweep_interval
        for channel, inbox in list(self.inboxes.items()):
            self.expire(channel, inbox, now)
            if inbox.idle():
                del self.inboxes[channel]
        joined_after = now - self.group_expiry
        for group, members in list(self.groups.items()):
            for channel, joined in list(members.items()):
                if joined < joined_after:
                    del members[channel]
            if not members:
                del self.groups[group]
