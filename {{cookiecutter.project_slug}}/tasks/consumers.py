"""Start, watch and cancel long jobs over a JSON websocket (README.md, Tasks). A
socket hears of its jobs through the group "job.<id>" and reads their rows every
TASK_POLL_SECONDS: a worker cannot reach an in-memory layer."""

import asyncio
import hashlib
import json
import logging
import re

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DatabaseError

from realtime_kit.consumers import AsyncJsonWebsocketConsumer
from tasks.jobs import Refused, mark_lost, start_job
from tasks.models import ACTIVE, Job

logger = logging.getLogger(__name__)
TASK_ID = re.compile(r"[0-9a-f]{32}\Z")


def rank(message):
    """Later states rank higher: a step above the one before, an end above all."""
    return (message["type"] != "task.progress", message.get("step", 0))


class TaskConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.owner = await self.owner_of(self.scope["user"], self.scope["session"])
        self.address = (self.scope.get("client") or ["unknown"])[0]
        self.watched = {}  # task id → the last message sent for it
        self.poller = None  # started with the first job watched
        await self.accept()

    async def disconnect(self, close_code):
        if self.poller:
            self.poller.cancel()
        for task_id in list(self.watched):
            await self.unwatch(task_id)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Channels' receive, but what is not a JSON object gets an error reply.
        (Not decode_json: Channels raises before it on a binary or empty frame.)"""
        try:
            content = json.loads(text_data or "null")
        except (ValueError, RecursionError):
            content = None
        try:
            if not isinstance(content, dict):
                raise Refused("expected a JSON object in a text frame")
            await self.receive_json(content)
        except Refused as error:
            await self.send_json({"type": "error", "error": str(error)})

    async def receive_json(self, content, **kwargs):
        action, task_id, steps = map(content.get, ("action", "task_id", "steps"))
        if self.owner is None:
            raise Refused("tasks need a login or a session: open /tasks/ first")
        if action == "start":
            most = settings.TASK_MAX_STEPS
            if type(steps) is not int or not 1 <= steps <= most:
                raise Refused(f'"steps" must be an integer from 1 to {most}')
            start = database_sync_to_async(start_job)
            job = await start(self.owner, self.address, steps)
            await self.follow(job.id.hex, job.message())
            started = {"type": "task.started", "task_id": job.id.hex, "total": steps}
            return await self.send_json(started)
        if action not in ("watch", "cancel"):
            raise Refused(f'unknown action {action!r}: "start", "watch", "cancel"')
        if not isinstance(task_id, str) or not TASK_ID.match(task_id):
            raise Refused('"task_id" must be the id of a task (32 hex digits)')
        await self.follow(task_id)  # first: no update falls between
        messages = await self.latest([task_id], cancel=action == "cancel")
        if not messages:
            await self.unwatch(task_id)
            raise Refused(f"unknown task_id {task_id!r}")
        await self.deliver(messages[0], again=True)
        if action == "cancel":  # every socket watching it hears at once
            event = {"type": "job.update", "message": messages[0]}
            await self.channel_layer.group_send(f"job.{task_id}", event)

    async def follow(self, task_id, last=None):
        if task_id not in self.watched:
            if len(self.watched) >= settings.TASK_MAX_FOLLOWED:
                raise Refused("this socket watches too many tasks already")
            self.watched[task_id] = last
            self.poller = self.poller or asyncio.create_task(self.poll())
            await self.channel_layer.group_add(f"job.{task_id}", self.channel_name)

    async def unwatch(self, task_id):
        del self.watched[task_id]
        await self.channel_layer.group_discard(f"job.{task_id}", self.channel_name)

    async def poll(self):
        while True:
            await asyncio.sleep(settings.TASK_POLL_SECONDS)
            try:
                messages = await self.latest(list(self.watched)) if self.watched else []
            except DatabaseError as error:
                logger.error("Tasks socket closed with 4011: %s", error)
                return await self.close(code=4011)
            for message in messages:
                await self.deliver(message)

    async def job_update(self, event):
        await self.deliver(event["message"])

    async def deliver(self, message, again=False):
        """Send a watched job's state, unless sent already or older than the last."""
        last = self.watched.get(message["task_id"], message)
        if last and (rank(message) < rank(last) or (message == last and not again)):
            return
        self.watched[message["task_id"]] = message
        if message["type"] != "task.progress":  # the end: nothing follows
            await self.unwatch(message["task_id"])
        await self.send_json(message)

    @database_sync_to_async
    def owner_of(self, user, session):
        """The user, else the browser session: another owner's job is unknown."""
        if user.is_authenticated:
            return f"user.{user.pk}"
        if session.session_key and session.exists(session.session_key):
            return "session." + hashlib.sha256(session.session_key.encode()).hexdigest()
        return None

    @database_sync_to_async
    def latest(self, task_ids, cancel=False):
        """The state of this owner's jobs among `task_ids`, cancelled first if asked."""
        jobs = Job.objects.filter(owner=self.owner, pk__in=task_ids)
        if cancel:
            jobs.filter(status__in=ACTIVE).update(status="cancelled")
        mark_lost(pk__in=task_ids)
        return [job.message() for job in jobs]
