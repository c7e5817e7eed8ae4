"""Who is in each chat room, in Redis, where every server process and host sees it.

A room is a sorted set in Redis: one member per socket, "<channel name> <user
name>" (no name: anonymous), scored with the time it expires. Each process
refreshes its own sockets every CHAT_PRESENCE_HEARTBEAT_SECONDS in one pipeline
and re-adds them to their channel-layer groups, so neither the set nor a group
drops a live socket. A process or host that dies stops refreshing: its sockets
leave the set CHAT_PRESENCE_EXPIRY_SECONDS after their last refresh, removed
by the next read, and the room hears of it at the next heartbeat of a process
with members there. Hosts' clocks must agree (NTP), as channels-redis's group
expiry already assumes.

A change is announced at most once per CHAT_PRESENCE_ANNOUNCE_SECONDS per room:
the first process to claim the room's announce key (SET NX with that expiry)
reads the set once the window ends and sends one group_send. A room of 500
joining at once gets a few announcements, not one per join.

With Redis down, presence logs one line per failure and chat goes on.
https://redis.io/docs/latest/develop/data-types/sorted-sets/
"""

import asyncio
import contextlib
import json
import logging
import time

from channels_redis.utils import create_pool
from django.conf import settings
from redis.asyncio import Redis

from realtime_kit.layer_outages import OUTAGE_ERRORS

logger = logging.getLogger(__name__)

# Redis commands one process runs at once: a burst of joins waits its turn
# rather than emptying redis-py's pool, which raises when it is empty.
CONCURRENT_COMMANDS = 10
# How long a server shutting down waits for its sockets' last removals.
LAST_WRITE_SECONDS = 2


def members_key(room):
    return f"presence.{room}"


def announce_key(room):
    return f"presence.{room}.announce"


def presence_text(members):
    """The chat.presence frame: the users' sorted names, and anonymous sockets counted."""
    names = [member.partition(" ")[2] for member in members]
    users = sorted({name for name in names if name})
    frame = {"type": "chat.presence", "users": users, "anonymous": names.count("")}
    return json.dumps(frame)


class Presence:
    """This process's sockets in every room, and its Redis client, on one event loop."""

    def __init__(self):
        self.loop = asyncio.get_running_loop()
        # A channels-redis host dict: a URL, or Sentinel's.
        self.redis = Redis(connection_pool=create_pool(settings.REDIS_HOST))
        self.turns = asyncio.Semaphore(CONCURRENT_COMMANDS)
        self.sockets = {}  # (room, channel name) -> (member, channel layer)
        self.heartbeat = None
        self.tasks = set()
        self.heartbeat_failing = False

    async def execute(self, fill):
        """Run the commands `fill(pipeline)` queues in one round trip."""
        pipeline = self.redis.pipeline(transaction=False)
        fill(pipeline)
        async with self.turns:
            return await pipeline.execute()

    def refresh(self, pipeline, room, members, now):
        expiry = settings.CHAT_PRESENCE_EXPIRY_SECONDS
        pipeline.zadd(members_key(room), dict.fromkeys(members, now + expiry))
        pipeline.pexpire(members_key(room), int(expiry * 1000))

    def claim(self, pipeline, room):
        """Queue the claim of the room's next announcement; it answers True if ours."""
        window = int(settings.CHAT_PRESENCE_ANNOUNCE_SECONDS * 1000)
        pipeline.set(announce_key(room), 1, nx=True, px=max(window, 1))

    async def join(self, layer, room, channel, user_name):
        member = f"{channel} {user_name}"
        self.sockets[(room, channel)] = (member, layer)
        # A consumer that ends without its disconnect (closed on an outage)
        # leaves too, when its task ends.
        asyncio.current_task().add_done_callback(
            lambda _: self.leave_soon(room, channel)
        )
        if self.heartbeat is None or self.heartbeat.done():
            self.heartbeat = asyncio.create_task(self.beat())

        def fill(pipeline):
            self.refresh(pipeline, room, [member], time.time())
            self.claim(pipeline, room)

        *_, claimed = await self.execute(fill)
        if claimed:
            self.announce_later(layer, room)

    def forget(self, room, channel):
        """This process's entry for the socket, removed; None if it had none."""
        return self.sockets.pop((room, channel), None)

    def leave_soon(self, room, channel):
        """Forget the socket now (no heartbeat refreshes it); Redis hears in a task."""
        entry = self.forget(room, channel)
        if entry is not None:
            self.track(asyncio.create_task(logged(room, self.remove(room, *entry))))

    async def remove(self, room, member, layer):
        def fill(pipeline):
            pipeline.zrem(members_key(room), member)
            self.claim(pipeline, room)

        try:
            _, claimed = await self.execute(fill)
        except asyncio.CancelledError:
            # Only the event loop's end cancels it (a server shutting down):
            # the member still leaves the set, with no announcement.
            async with asyncio.timeout(LAST_WRITE_SECONDS):
                await self.execute(lambda p: p.zrem(members_key(room), member))
            raise
        if claimed:
            self.announce_later(layer, room)

    def track(self, task):
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def announce_later(self, layer, room):
        self.track(asyncio.create_task(self.announce(layer, room)))

    async def announce(self, layer, room):
        """Once the window has passed: the room's members, to every one of them."""
        await asyncio.sleep(settings.CHAT_PRESENCE_ANNOUNCE_SECONDS)

        def fill(pipeline):
            pipeline.zremrangebyscore(members_key(room), "-inf", time.time())
            pipeline.zrange(members_key(room), 0, -1)

        try:
            _, members = await self.execute(fill)
            text = presence_text(member.decode() for member in members)
            await layer.group_send(room, {"type": "chat.presence", "text": text})
        except OUTAGE_ERRORS as error:
            log_failure("not announced", room, error)

    async def beat(self):
        # It ends itself once no socket is left (the next join starts another):
        # cancelled amid refresh_all, it would leave re-added sockets in groups.
        while True:
            await asyncio.sleep(settings.CHAT_PRESENCE_HEARTBEAT_SECONDS)
            if not self.sockets:
                return
            try:
                # Back from an outage: what the rooms heard may be stale.
                await self.refresh_all(announce_all=self.heartbeat_failing)
            except OUTAGE_ERRORS as error:
                if not self.heartbeat_failing:  # one line per outage, not per beat
                    log_failure("not refreshed", "any room", error)
                self.heartbeat_failing = True
            else:
                if self.heartbeat_failing:
                    logger.warning("Chat presence refreshed again")
                self.heartbeat_failing = False

    async def refresh_all(self, announce_all=False):
        """Refresh every socket of this process; announce rooms whose dead left."""
        sockets = list(self.sockets.items())
        rooms = {}
        for (room, _), (member, layer) in sockets:
            rooms.setdefault(room, ([], layer))[0].append(member)

        def fill(pipeline):
            now = time.time()
            for room, (members, _) in rooms.items():
                self.refresh(pipeline, room, members, now)
                pipeline.zremrangebyscore(members_key(room), "-inf", now)

        removed = (await self.execute(fill))[2::3]
        changed = [
            room
            for room, count in zip(rooms, removed, strict=True)
            if count or announce_all
        ]
        if changed:

            def claim_all(pipeline):
                for room in changed:
                    self.claim(pipeline, room)

            claims = await self.execute(claim_all)
            for room, claimed in zip(changed, claims, strict=True):
                if claimed:
                    self.announce_later(rooms[room][1], room)
        # The group's own expiry must not drop a live socket either.
        for key, (member, layer) in sockets:
            room, channel = key
            if key in self.sockets:
                # The pub/sub layer refuses a channel that has just ended.
                with contextlib.suppress(RuntimeError):
                    await layer.group_add(room, channel)
            if key not in self.sockets:  # left meanwhile: undo this beat's re-adds
                await layer.group_discard(room, channel)
                async with self.turns:
                    await self.redis.zrem(members_key(room), member)


def log_failure(what, room, error):
    logger.warning(
        "Chat presence %s for %s (%s: %s); chat goes on",
        what,
        room,
        type(error).__name__,
        error,
    )


_presence = None


def presence():
    """This process's Presence, made again for a new event loop (each test has one)."""
    global _presence
    if _presence is None or _presence.loop is not asyncio.get_running_loop():
        _presence = Presence()
    return _presence


async def logged(room, operation):
    """Await `operation`; a Redis failure is one line, and chat goes on."""
    try:
        await operation
    except OUTAGE_ERRORS as error:
        log_failure("not updated", room, error)


async def join(layer, room, channel, user_name):
    """Count `channel` in `room` as `user_name` ("" for anonymous) and say so."""
    await logged(room, presence().join(layer, room, channel, user_name))


def leave(layer, room, channel):
    """Count `channel` out of `room` at once; Redis hears of it in the background."""
    presence().leave_soon(room, channel)
