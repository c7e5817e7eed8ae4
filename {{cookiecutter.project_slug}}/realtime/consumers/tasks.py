"""Long tasks: start a simulated job and follow its progress, without blocking the loop.

{"action": "start", "steps": N} answers {"type": "task.started", "task_id", "total"},
then {"type": "task.progress", "task_id", "step", "total"} for each step, then
{"type": "task.done", "task_id"}. Invalid frames get an error reply.
https://channels.readthedocs.io/en/stable/topics/consumers.html#asyncjsonwebsocketconsumer
"""

import asyncio
import uuid

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from realtime.consumers.database_free import DatabaseFreeMixin
from realtime.consumers.json_messages import (
    InvalidMessage,
    error_reply,
    parse_json_object,
)


def parse_steps(value, maximum):
    if type(value) is not int or not 1 <= value <= maximum:
        raise InvalidMessage(f'"steps" must be an integer from 1 to {maximum}')
    return value


class TaskConsumer(DatabaseFreeMixin, AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.jobs = {}
        await self.accept()

    async def disconnect(self, code):
        for job in self.jobs.values():
            job.cancel()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            await self.receive_json(parse_json_object(text_data, bytes_data))
        except InvalidMessage as error:
            await self.send_json(error_reply(error))

    async def receive_json(self, content, **kwargs):
        action = content.get("action")
        if action != "start":
            raise InvalidMessage(f'unknown action {action!r}; expected "start"')
        total = parse_steps(content.get("steps"), settings.TASK_MAX_STEPS)
        task_id = uuid.uuid4().hex
        await self.send_json(
            {"type": "task.started", "task_id": task_id, "total": total}
        )
        self.jobs[task_id] = asyncio.create_task(self.run_job(task_id, total))

    async def run_job(self, task_id, total):
        try:
            for step in range(1, total + 1):
                await asyncio.sleep(settings.TASK_STEP_SECONDS)
                await self.send_json(
                    {
                        "type": "task.progress",
                        "task_id": task_id,
                        "step": step,
                        "total": total,
                    }
                )
            await self.send_json({"type": "task.done", "task_id": task_id})
        finally:
            self.jobs.pop(task_id, None)
