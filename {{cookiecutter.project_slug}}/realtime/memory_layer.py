"""An in-memory channel layer whose cost per message does not grow with the process.

`channels.layers.InMemoryChannelLayer`, which this extends, walks every channel
and every group on each send and receive to find expired messages, builds a
new asyncio.Queue on every receive, deep-copies each message and starts one
task per member of a group. With a room of 100 that bookkeeping is most of the
server's time. This layer keeps the same contract and does per message only
what that message needs:

- a receiver skips an expired message when it reaches it (and its channel
  leaves its groups, as before); channels nobody reads and expired group
  memberships are swept at most once a second;
- a channel keeps its queue while its consumer lives, and drops it when the
  consumer's receive is cancelled;
- each receiver still gets its own copy of the message, built by type for the
  dicts, lists and scalars that messages are made of (anything else is
  deep-copied as before);
- `group_send` puts the message in each member's queue directly, then yields
  once so that receivers run.

One process only, like its parent: a second server process or a `runworker`
never sees these messages.
"""

import asyncio
import logging
import time
from copy import deepcopy

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

logger = logging.getLogger(__name__)

# Values shared between copies: they cannot change.
IMMUTABLE = frozenset({str, bytes, int, float, bool, type(None)})


def copy_message(value):
    """A copy of `value` that shares nothing mutable with it."""
    kind = type(value)
    if kind in IMMUTABLE:
        return value
    if kind is dict:
        return {key: copy_message(item) for key, item in value.items()}
    if kind is list:
        return [copy_message(item) for item in value]
    return deepcopy(value)


def require_dict(message):
    if not isinstance(message, dict):
        raise TypeError(f"a message must be a dict, not {type(message).__name__}")


class MemoryChannelLayer(InMemoryChannelLayer):
    # Seconds between sweeps of expired messages and group memberships.
    sweep_interval = 1.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.next_sweep = 0.0
        # channel name -> number of receive() calls waiting on it
        self.receivers = {}

    async def send(self, channel, message):
        require_dict(message)
        self.require_valid_channel_name(channel)
        self.sweep_if_due()
        self.put(channel, copy_message(message), time.time() + self.expiry)

    async def receive(self, channel):
        self.require_valid_channel_name(channel)
        self.sweep_if_due()
        queue = self.queue(channel)
        self.receivers[channel] = self.receivers.get(channel, 0) + 1
        try:
            while True:
                expires, message = await queue.get()
                if expires >= time.time():
                    return message
                self._remove_from_groups(channel)
        except asyncio.CancelledError:
            self.forget_if_unused(channel, queue, leaving=True)
            raise
        finally:
            waiting = self.receivers.pop(channel, 1) - 1  # flush() may have reset it
            if waiting:
                self.receivers[channel] = waiting

    async def group_send(self, group, message):
        require_dict(message)
        self.require_valid_group_name(group)
        self.sweep_if_due()
        members = list(self.groups.get(group, ()))
        expires = time.time() + self.expiry
        full = 0
        for channel in members:
            try:
                self.put(channel, copy_message(message), expires)
            except ChannelFull:
                full += 1
        if full:
            logger.info(
                "%s of %s channels over capacity in group %s",
                full,
                len(members),
                group,
            )
        await asyncio.sleep(0)

    async def flush(self):
        await super().flush()
        self.receivers = {}

    def queue(self, channel):
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(
                maxsize=self.get_capacity(channel)
            )
        return queue

    def put(self, channel, message, expires):
        try:
            self.queue(channel).put_nowait((expires, message))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    def forget_if_unused(self, channel, queue, leaving=False):
        """Drop an empty queue that no receiver waits on (besides one `leaving`)."""
        waiting = self.receivers.get(channel, 0) - leaving
        if not waiting and queue.empty() and self.channels.get(channel) is queue:
            del self.channels[channel]

    def sweep_if_due(self):
        now = time.time()
        if now < self.next_sweep:
            return
        self.next_sweep = now + self.sweep_interval
        self._clean_expired()
        for channel, queue in list(self.channels.items()):
            self.forget_if_unused(channel, queue)
