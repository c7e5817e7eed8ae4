"""Task state in Django's cache, where every server and worker process can read it.

A task's state is the last message it published, so that a late watcher gets
what live watchers got. Beside it: a cancel request, which the runner only
reads, and a heartbeat that the process running the job refreshes: a task
still running by its state, whose heartbeat has lapsed, was lost with its
process. State and cancel keys expire TASK_STATE_SECONDS after their last write.
https://docs.djangoproject.com/en/5.2/topics/cache/#asynchronous-support
"""

from django.conf import settings
from django.core.cache import cache

from tasks import updates

_PREFIX = "tasks."


def _state_key(task_id):
    return f"{_PREFIX}{task_id}.state"


def _cancel_key(task_id):
    return f"{_PREFIX}{task_id}.cancel"


def _alive_key(task_id):
    return f"{_PREFIX}{task_id}.alive"


async def save_state(message):
    await cache.aset(
        _state_key(message["task_id"]), message, settings.TASK_STATE_SECONDS
    )


async def load_state(task_id):
    """The task's last message (task.failed if it was lost), or None if unknown."""
    keys = [_state_key(task_id), _cancel_key(task_id), _alive_key(task_id)]
    found = await cache.aget_many(keys)
    if _cancel_key(task_id) in found:
        return updates.cancelled(task_id)
    latest = found.get(_state_key(task_id))
    if latest and not updates.is_final(latest) and _alive_key(task_id) not in found:
        return updates.lost(task_id)
    return latest


async def request_cancel(task_id):
    await cache.aset(_cancel_key(task_id), True, settings.TASK_STATE_SECONDS)


async def is_cancel_requested(task_id):
    return await cache.aget(_cancel_key(task_id), False)


async def beat(task_ids):
    """These tasks are alive for the next three heartbeats."""
    await cache.aset_many(
        {_alive_key(task_id): True for task_id in task_ids},
        3 * settings.TASK_HEARTBEAT_SECONDS,
    )
