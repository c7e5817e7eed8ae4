"""The sample's long job: a Django task that a worker (`manage.py db_worker`) runs.
https://docs.djangoproject.com/en/6.0/topics/tasks/
"""

import asyncio
import logging
from datetime import timedelta

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from realtime_kit.layer_outages import OUTAGE_ERRORS
from tasks.models import ACTIVE, Job

try:
    from django.tasks import task  # Django 6.0 and later
except ImportError:  # Django 5.2: the django-tasks backport, the same API
    from django_tasks import task

logger = logging.getLogger(__name__)


class Refused(Exception):
    """A request the sample refuses; str() tells the client why."""


@task
async def run_job(task_id):
    rows = Job.objects.filter(pk=task_id)
    running = {"status": "running", "heartbeat": timezone.now()}
    if not await rows.filter(status="queued").aupdate(**running):
        return  # cancelled before a worker took it
    job, pushing = await rows.aget(), True
    beating = asyncio.create_task(beat(rows))
    try:
        for step in range(1, job.total + 1):
            await asyncio.sleep(settings.TASK_STEP_SECONDS)  # the real work goes here
            job.step = step
            if not await rows.filter(status="running").aupdate(step=step):
                return  # cancelled, or given up as lost
            pushing = await push(job, pushing)
        job.status = "done"
    except Exception as error:
        job.status, job.error = "failed", f"the job failed: {error}"
        raise
    finally:
        beating.cancel()
        if job.status != "running":
            ended = {"status": job.status, "error": job.error}
            await rows.filter(status="running").aupdate(**ended)
            await push(job, pushing)


async def beat(rows):
    """The worker's sign of life, however long a step takes."""
    while True:
        await asyncio.sleep(settings.TASK_LOST_SECONDS / 3)
        await rows.filter(status="running").aupdate(heartbeat=timezone.now())


async def push(job, pushing):
    """Tell the job's group; with the layer down, say so once: watchers poll the row."""
    if pushing:
        try:
            event = {"type": "job.update", "message": job.message()}
            await get_channel_layer().group_send(f"job.{job.id.hex}", event)
        except OUTAGE_ERRORS as error:
            logger.warning("Job %s: updates not pushed (%s)", job.id.hex, error)
            return False
    return pushing


def start_job(owner, address, total):
    """A new job, queued for a worker; Refused over a quota, as the database decides."""
    mark_lost()
    while True:
        slots = {"owner_slot": free_slot("owner", owner)}
        slots["address_slot"] = free_slot("address", address)
        try:
            with transaction.atomic():
                job = Job.objects.create(
                    owner=owner, address=address, total=total, **slots
                )
                # Higher runs first: each address's first job before any's second.
                run_job.using(priority=-min(job.address_slot, 100)).enqueue(job.id.hex)
            return job
        except IntegrityError:
            continue  # another start took that slot first: count again


def free_slot(field, value):
    most = getattr(settings, f"TASK_MAX_PER_{field.upper()}")
    active = Job.objects.filter(status__in=ACTIVE, **{field: value})
    free = set(range(most)) - set(active.values_list(f"{field}_slot", flat=True))
    if not free:
        raise Refused(
            f"{most} of your tasks run already, the most allowed"
            f" (TASK_MAX_PER_{field.upper()}): wait for one to end, or cancel one"
        )
    return min(free)


def mark_lost(**which):
    """Running jobs whose worker has been silent for TASK_LOST_SECONDS are lost."""
    silent_since = timezone.now() - timedelta(seconds=settings.TASK_LOST_SECONDS)
    Job.objects.filter(status="running", heartbeat__lt=silent_since, **which).update(
        status="lost", error="the worker running this task stopped"
    )


def delete_ended_jobs(days):
    """Jobs that ended more than `days` ago (`make clean-db`)."""
    mark_lost()
    ended = Job.objects.exclude(status__in=ACTIVE)
    ended.filter(created__lt=timezone.now() - timedelta(days=days)).delete()
