"""Run jobs as asyncio tasks of this process, independent of any websocket.

The runner keeps a reference to every running job (the event loop keeps only
weak ones, so an unreferenced task may be garbage-collected mid-run), caps how
many run at once, and cancels a local job at once. Each step it checks the
shared cancel flag, so a cancel sent to another process stops it within one step.
It runs in the server process (TASK_RUNNER=in-process) or in a
`manage.py runworker tasks` process (TASK_RUNNER=worker).
https://docs.python.org/3/library/asyncio-task.html#asyncio.create_task
"""

import asyncio
import logging

from django.conf import settings

from realtime.jobs import state, updates

logger = logging.getLogger(__name__)


class TooManyTasks(Exception):
    """This process already runs TASK_MAX_RUNNING jobs."""


async def simulated_work(step):
    """One step of the sample job. Put the real work here; run blocking code
    through asgiref's sync_to_async, never directly in this coroutine."""
    await asyncio.sleep(settings.TASK_STEP_SECONDS)


class JobRunner:
    def __init__(self):
        self.running = {}

    def is_full(self):
        return len(self.running) >= settings.TASK_MAX_RUNNING

    def start(self, task_id, total):
        if self.is_full():
            raise TooManyTasks(
                f"{settings.TASK_MAX_RUNNING} tasks already running; try again later"
            )
        job = asyncio.create_task(self.run(task_id, total), name=f"task {task_id}")
        self.running[task_id] = job
        job.add_done_callback(lambda _: self.running.pop(task_id, None))

    def cancel_local(self, task_id):
        """Cancel the job if it runs in this process; the caller publishes."""
        job = self.running.get(task_id)
        if job is not None:
            job.cancel()

    async def cancel_all(self):
        jobs = list(self.running.values())
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)

    async def run(self, task_id, total):
        try:
            for step in range(1, total + 1):
                await simulated_work(step)
                if await state.is_cancel_requested(task_id):
                    return  # the canceller has published task.cancelled
                await self.report(updates.progress(task_id, step, total))
            await self.report(updates.done(task_id))
        except Exception:
            logger.exception("Task %s failed", task_id)
            await self.report(updates.failed(task_id, "the job failed"))

    async def report(self, message):
        await state.save_state(message)
        await updates.publish(message)


# One per process: the consumers of a server process, or the worker, share it.
runner = JobRunner()
