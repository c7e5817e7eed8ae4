"""Long jobs over a JSON websocket: start, watch and cancel Django tasks.

{"action": "start", "steps": N} answers {"type": "task.started", "task_id",
"total"} and queues the job (tasks/jobs.py); {"action": "watch", "task_id"}
answers the job's state at once. Then come {"type": "task.progress", "task_id",
"step", "total"} and one final {"type": "task.done"} (or task.cancelled,
task.failed, task.lost, with an "error"). {"action": "cancel", "task_id"} stops
the job for every watcher. A job is its owner's (the user, else the browser
session): to anyone else its id is unknown. Updates come through the group
"job.<id>", and from the job's row every TASK_POLL_SECONDS: the only way with
an in-memory layer, which a worker process cannot reach.
https://channels.readthedocs.io/en/stable/topics/consumers.html#asyncjsonwebsocketconsumer
"""

import asyncio
import hashlib
import json
import logging
import re

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError

from realtime_kit.consumers import AsyncJsonWebsocketConsumer
from tasks import jobs

logger = logging.getLogger(__name__)
TASK_ID = re.compile(r"[0-9a-f]{32}\Z")


class InvalidFrame(ValueError):
    """A frame the consumer cannot act on; str() tells the client why."""


def rank(message):
    """Later states rank higher: a step above the one before, an end above all."""
    return (message["type"] != "task.progress", message.get("step", 0))


@database_sync_to_async
def owner_of(scope):
    user, session = scope.get("user"), scope.get("session")
    if user is not None and user.is_authenticated:
        return f"user.{user.pk}"
    if session is None or not session.session_key:
        return None
    if not session.exists(session.session_key):
        return None
    return "session." + hashlib.sha256(session.session_key.encode()).hexdigest()[:40]


class TaskConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.watched = {}  # task id → the last message sent for it
        self.poller = asyncio.create_task(self.poll())
        self.owner = await owner_of(self.scope)
        self.address = (self.scope.get("client") or ["unknown"])[0]
        await self.accept()

    async def disconnect(self, close_code):
        self.poller.cancel()
        for task_id in self.watched:
            await self.channel_layer.group_discard(
                jobs.group_name(task_id), self.channel_name
            )

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            if not text_data:
                raise InvalidFrame("expected a JSON object in a text frame")
            await super().receive(text_data=text_data, **kwargs)
        except (InvalidFrame, jobs.Refused) as error:
            await self.send_json({"type": "error", "error": str(error)})

    @classmethod
    async def decode_json(cls, text_data):
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            raise InvalidFrame("the frame is not valid JSON") from None
        if not isinstance(content, dict):
            raise InvalidFrame("expected a JSON object")
        return content

    async def receive_json(self, content, **kwargs):
        if self.owner is None:
            raise InvalidFrame(
                "tasks need a login or a browser session: open the /tasks/ page first"
            )
        action, task_id = content.get("action"), content.get("task_id")
        if action == "start":
            steps, most = content.get("steps"), settings.TASK_MAX_STEPS
            if type(steps) is not int or not 1 <= steps <= most:
                raise InvalidFrame(f'"steps" must be an integer from 1 to {most}')
            start = database_sync_to_async(jobs.start_job)
            job = await start(self.owner, self.address, steps)
            await self.watch(job.id.hex, reply=False)
            await self.send_json(
                {"type": "task.started", "task_id": job.id.hex, "total": steps}
            )
        elif action not in ("watch", "cancel"):
            raise InvalidFrame(
                f'unknown action {action!r}; expected "start", "watch" or "cancel"'
            )
        elif not isinstance(task_id, str) or not TASK_ID.match(task_id):
            raise InvalidFrame('"task_id" must be the id of a task (32 hex digits)')
        elif action == "watch":
            await self.watch(task_id)
        else:
            job = await database_sync_to_async(jobs.cancel)(self.owner, task_id)
            if job is None:
                raise InvalidFrame(f"unknown task_id {task_id!r}")
            await self.channel_layer.group_send(
                jobs.group_name(task_id),
                {"type": "job.update", "message": job.message()},
            )
            if task_id not in self.watched:
                await self.send_json(job.message())

    async def watch(self, task_id, reply=True):
        """Join the job's group, then send its state: no update falls between."""
        if task_id not in self.watched:
            if len(self.watched) >= settings.TASK_MAX_FOLLOWED:
                raise InvalidFrame(
                    f"this socket watches {settings.TASK_MAX_FOLLOWED} tasks already"
                )
            self.watched[task_id] = None
            await self.channel_layer.group_add(
                jobs.group_name(task_id), self.channel_name
            )
        messages = await self.latest([task_id])
        if not messages:
            await self.unwatch(task_id)
            raise InvalidFrame(f"unknown task_id {task_id!r}")
        if reply:
            await self.deliver(messages[0], again=True)
        else:
            self.watched[task_id] = messages[0]

    async def unwatch(self, task_id):
        if task_id in self.watched:
            del self.watched[task_id]
            await self.channel_layer.group_discard(
                jobs.group_name(task_id), self.channel_name
            )

    async def latest(self, task_ids):
        found = await database_sync_to_async(jobs.latest)(self.owner, task_ids)
        return [job.message() for job in found]

    async def poll(self):
        """Every TASK_POLL_SECONDS, what the watched jobs' rows say."""
        while True:
            await asyncio.sleep(settings.TASK_POLL_SECONDS)
            if not self.watched:
                continue
            try:
                messages = await self.latest(list(self.watched))
            except DatabaseError as error:
                logger.error("Tasks socket closed (4011): database error: %s", error)
                await self.close(code=4011)
                return
            for message in messages:
                await self.deliver(message)

    async def job_update(self, event):
        """A job's new state, from its worker or a cancel."""
        await self.deliver(event["message"])

    async def deliver(self, message, again=False):
        """Send a watched job's state, unless a later one was sent already."""
        task_id = message["task_id"]
        if task_id not in self.watched:
            return
        last = self.watched[task_id]
        if last is not None and (
            rank(message) < rank(last) if again else rank(message) <= rank(last)
        ):
            return
        self.watched[task_id] = message
        if rank(message)[0]:  # the end: nothing follows
            await self.unwatch(task_id)
        await self.send_json(message)
