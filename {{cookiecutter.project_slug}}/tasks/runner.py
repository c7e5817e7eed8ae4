"""Run jobs as asyncio tasks of this process, independent of any websocket.

The runner keeps a reference to every running job (the event loop keeps only
weak ones), caps how many run at once, cancels a local job at once, and beats
a heartbeat for its jobs. Each step it checks the shared cancel flag, so a
cancel sent to another process stops the job within one step. It runs in the
server process (TASK_RUNNER=in-process) or in `manage.py runworker tasks`.
https://docs.python.org/3/library/asyncio-task.html#asyncio.create_task
"""

import asyncio
import contextlib
import logging

from django.conf import settings

from realtime_kit.layer_outages import OUTAGE_ERRORS
from tasks import state, updates

logger = logging.getLogger(__name__)


class TooManyTasks(Exception):
    """This process already runs TASK_MAX_RUNNING jobs."""


class StateUnavailable(Exception):
    """The cache or the channel layer could not be reached."""


async def simulated_work(step):
    """One step of the sample job. Put the real work here; run blocking code
    through asgiref's sync_to_async, never directly in this coroutine."""
    await asyncio.sleep(settings.TASK_STEP_SECONDS)


class JobRunner:
    def __init__(self):
        self.running = {}
        self.heartbeat = None
        # Jobs told to stop. Cancelling the asyncio task alone is not enough:
        # asgiref swallows a cancellation that lands in a running sync_to_async
        # call (Django's async cache), so each step checks this set too.
        self.stopping = set()

    def is_full(self):
        return len(self.running) >= settings.TASK_MAX_RUNNING

    def start(self, task_id, total):
        if self.is_full():
            raise TooManyTasks(
                f"this process runs {settings.TASK_MAX_RUNNING} tasks already, its"
                " most (TASK_MAX_RUNNING); try again later"
            )
        job = asyncio.create_task(self.run(task_id, total), name=f"task {task_id}")
        self.running[task_id] = job
        job.add_done_callback(lambda _: self.forget(task_id))
        if self.heartbeat is None or self.heartbeat.done():
            self.heartbeat = asyncio.create_task(self.beat_while_running())

    def forget(self, task_id):
        self.running.pop(task_id, None)
        self.stopping.discard(task_id)

    def cancel_local(self, task_id):
        """Stop the job if it runs in this process; the caller publishes."""
        job = self.running.get(task_id)
        if job is not None:
            self.stopping.add(task_id)
            job.cancel()

    async def cancel_all(self):
        self.stopping.update(self.running)
        jobs = [*self.running.values(), self.heartbeat]
        jobs = [job for job in jobs if job is not None and not job.done()]
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)

    async def beat_while_running(self):
        while self.running:
            # While the cache is down the jobs stop and log it themselves.
            with contextlib.suppress(*OUTAGE_ERRORS):
                await state.beat(
                    [
                        task_id
                        for task_id in self.running
                        if task_id not in self.stopping
                    ]
                )
            await asyncio.sleep(settings.TASK_HEARTBEAT_SECONDS)

    async def run(self, task_id, total):
        try:
            for step in range(1, total + 1):
                await simulated_work(step)
                if task_id in self.stopping or await self.cancel_requested(task_id):
                    return  # the canceller has published task.cancelled
                await self.report(updates.progress(task_id, step, total))
            await self.report(updates.done(task_id))
        except StateUnavailable as error:
            logger.error("Task %s stopped: %s", task_id, error)
        except Exception:
            logger.exception("Task %s failed", task_id)
            with contextlib.suppress(StateUnavailable):
                await self.report(updates.failed(task_id, "the job failed"))

    async def cancel_requested(self, task_id):
        try:
            return await state.is_cancel_requested(task_id)
        except OUTAGE_ERRORS as error:
            raise unavailable("reading its cancel flag", error) from error

    async def report(self, message):
        try:
            await state.save_state(message)
            await updates.publish(message)
        except OUTAGE_ERRORS as error:
            raise unavailable("reporting its progress", error) from error


def unavailable(doing, error):
    return StateUnavailable(
        f"the cache or channel layer failed while {doing}"
        f" ({type(error).__name__}: {error})"
    )


# One per process: the consumers of a server process, or the worker, share it.
runner = JobRunner()
