"""Long tasks over a JSON websocket: start, watch, cancel jobs that outlive a socket.

{"action": "start", "steps": N} answers {"type": "task.started", "task_id",
"total"}, then {"type": "task.progress", "task_id", "step", "total"} for each
step, then {"type": "task.done", "task_id"}. {"action": "watch", "task_id"}
answers the task's latest message at once, then its live updates; {"action":
"cancel", "task_id"} answers {"type": "task.cancelled", "task_id"}, to every
watcher. Closing the socket stops no job. Bad frames get an error reply.

A task belongs to whoever started it: the logged-in user, else the browser
session (the /tasks/ page makes sure there is one). Another owner's task answers
as an unknown id would. An owner runs at most TASK_MAX_PER_OWNER tasks at once.
Updates reach watchers through a channel-layer group per task, so a watcher on
another server process sees them on a Redis layer; state lives in the cache.
https://channels.readthedocs.io/en/stable/topics/consumers.html#asyncjsonwebsocketconsumer
"""

import json

from channels.exceptions import ChannelFull
from django.conf import settings

from realtime_kit.consumers import AsyncJsonWebsocketConsumer
from tasks import state, updates
from tasks.ids import is_valid_task_id, new_task_id, task_group_name
from tasks.owners import owner_of
from tasks.runner import TooManyTasks, runner
from tasks.worker import TASK_WORKER_CHANNEL, run_message

ACTIONS = ("start", "watch", "cancel")


class InvalidFrame(ValueError):
    """A client frame the consumer cannot act on; str() tells the client why."""


def steps_from(content):
    steps, most = content.get("steps"), settings.TASK_MAX_STEPS
    if type(steps) is not int or not 1 <= steps <= most:
        raise InvalidFrame(f'"steps" must be an integer from 1 to {most}')
    return steps


def task_id_from(content):
    task_id = content.get("task_id")
    if not is_valid_task_id(task_id):
        raise InvalidFrame('"task_id" must be the id of a task (32 hex digits)')
    return task_id


class TaskConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        # The tasks this socket follows, each with the last step it was sent:
        # updates that are stale, or come after a final message, are dropped.
        self.following = {}
        self.owner = await owner_of(self.scope)
        await self.accept()

    async def disconnect(self, close_code):
        for task_id in self.following:
            await self.channel_layer.group_discard(
                task_group_name(task_id), self.channel_name
            )

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Channels' receive decodes the JSON and calls receive_json; a bad frame
        # gets an error reply and the socket lives on.
        try:
            if not text_data:
                raise InvalidFrame("expected a JSON object in a text frame")
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except InvalidFrame as error:
            await self.send_json({"type": "error", "error": str(error)})

    @classmethod
    async def decode_json(cls, text_data):
        try:
            content = json.loads(text_data or "")
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
        action = content.get("action")
        if action == "start":
            await self.start(steps_from(content))
        elif action == "watch":
            await self.watch(task_id_from(content))
        elif action == "cancel":
            await self.cancel(task_id_from(content))
        else:
            expected = ", ".join(f'"{name}"' for name in ACTIONS)
            raise InvalidFrame(f"unknown action {action!r}; expected {expected}")

    async def start(self, total):
        in_process = settings.TASK_RUNNER == "in-process"
        if in_process and runner.is_full():
            raise InvalidFrame(
                f"this server runs {settings.TASK_MAX_RUNNING} tasks already, its"
                " most (TASK_MAX_RUNNING); try again later"
            )
        running = await state.running_tasks_of(self.owner)
        if len(running) >= settings.TASK_MAX_PER_OWNER:
            raise InvalidFrame(
                f"you run {len(running)} tasks already, the most one user may"
                " (TASK_MAX_PER_OWNER); wait for one to end, or cancel one"
            )
        task_id = new_task_id()
        await state.save_state(updates.progress(task_id, 0, total))
        await state.add_task(self.owner, task_id, running)
        await state.beat([task_id])  # alive until a runner beats for it
        await self.follow(task_id, 0)
        await self.send_json(updates.started(task_id, total))
        if in_process:
            try:
                runner.start(task_id, total)
            except TooManyTasks as error:  # filled up while the state was saved
                await self.fail(task_id, str(error))
            return
        try:
            await self.channel_layer.send(
                TASK_WORKER_CHANNEL, run_message(task_id, total)
            )
        except ChannelFull:
            await self.fail(task_id, "the task queue is full; try again later")

    async def watch(self, task_id):
        # Join the group before reading the state: no update can fall between.
        await self.follow(task_id, -1)
        try:
            latest = await self.latest_state(task_id)
        except InvalidFrame:
            await self.unfollow(task_id)
            raise
        await self.send_state(latest)

    async def cancel(self, task_id):
        latest = await self.latest_state(task_id)
        if updates.is_final(latest):
            await self.send_state(latest)
            return
        await state.request_cancel(task_id)
        runner.cancel_local(task_id)
        message = updates.cancelled(task_id)
        await self.unfollow(task_id)
        await self.send_json(message)
        await updates.publish(message)

    async def fail(self, task_id, error):
        message = updates.failed(task_id, error)
        await state.save_state(message)
        await updates.publish(message)

    async def latest_state(self, task_id):
        latest = await state.load_state(task_id, self.owner)
        if latest is None:
            raise InvalidFrame(
                f"unknown task_id {task_id!r}: no task has this id, or it ended"
                f" more than {settings.TASK_STATE_SECONDS} seconds ago"
            )
        return latest

    async def send_state(self, message):
        """Send a task's state snapshot; later updates must be newer to follow it."""
        task_id = message["task_id"]
        if updates.is_final(message):
            await self.unfollow(task_id)
        elif task_id in self.following:
            self.following[task_id] = max(self.following[task_id], message["step"])
        await self.send_json(message)

    async def follow(self, task_id, last_step):
        if task_id in self.following:
            return
        if len(self.following) >= settings.TASK_MAX_FOLLOWED:
            raise InvalidFrame(
                f"this socket already follows {settings.TASK_MAX_FOLLOWED} tasks"
            )
        self.following[task_id] = last_step
        await self.channel_layer.group_add(task_group_name(task_id), self.channel_name)

    async def unfollow(self, task_id):
        if self.following.pop(task_id, None) is not None:
            await self.channel_layer.group_discard(
                task_group_name(task_id), self.channel_name
            )

    async def task_update(self, event):
        """A message of a followed task, from the runner or a canceller."""
        task_id = event["task_id"]
        last_step = self.following.get(task_id)
        if last_step is None:
            return  # finished or cancelled already: nothing may follow
        if event["final"]:
            await self.unfollow(task_id)
        elif event["step"] <= last_step:
            return  # already sent, in a snapshot
        else:
            self.following[task_id] = event["step"]
        await self.send(text_data=event["text"])
