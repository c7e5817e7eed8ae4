"""Task state in Django's cache, where every server and worker process can read it.

A task's state is the last message it published (task.progress, task.done,
task.cancelled or task.failed), so that a late watcher gets exactly what live
watchers got. A cancel request is a key of its own: the runner only reads it,
and a reader that finds it reports the task cancelled whatever the runner last
wrote. Every key expires TASK_STATE_SECONDS after its last write.
https://docs.djangoproject.com/en/5.2/topics/cache/#asynchronous-support
"""

from django.conf import settings
from django.core.cache import cache

from realtime.jobs import updates

_PREFIX = "realtime.task."


def _state_key(task_id):
    return f"{_PREFIX}{task_id}.state"


def _cancel_key(task_id):
    return f"{_PREFIX}{task_id}.cancel"


async def save_state(message):
    await cache.aset(
        _state_key(message["task_id"]), message, settings.TASK_STATE_SECONDS
    )


async def load_state(task_id):
    """The task's last message, or None for a task unknown or expired."""
    found = await cache.aget_many([_state_key(task_id), _cancel_key(task_id)])
    if _cancel_key(task_id) in found:
        return updates.cancelled(task_id)
    return found.get(_state_key(task_id))


async def request_cancel(task_id):
    await cache.aset(_cancel_key(task_id), True, settings.TASK_STATE_SECONDS)


async def is_cancel_requested(task_id):
    return await cache.aget(_cancel_key(task_id), False)
