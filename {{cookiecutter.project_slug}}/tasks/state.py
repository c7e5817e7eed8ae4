"""Task state in Django's cache, where every server and worker process can read it.

A task's state is the last message it published, so that a late watcher gets
what live watchers got. Beside it: its owner (tasks/owners.py), a cancel
request, which the runner only reads, and a heartbeat that the process running
the job refreshes: a task still running by its state, whose heartbeat has
lapsed, was lost with its process. Each owner has a list of its tasks, for its
quota. Keys expire TASK_STATE_SECONDS after their last write.
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


def _owner_key(task_id):
    return f"{_PREFIX}{task_id}.owner"


def _owned_key(owner):
    return f"{_PREFIX}owned.{owner}"


async def save_state(message):
    await cache.aset(
        _state_key(message["task_id"]), message, settings.TASK_STATE_SECONDS
    )


async def load_state(task_id, owner):
    """The task's last message (task.failed if lost), or None for `owner`."""
    keys = [
        _state_key(task_id),
        _cancel_key(task_id),
        _alive_key(task_id),
        _owner_key(task_id),
    ]
    found = await cache.aget_many(keys)
    if found.get(_owner_key(task_id)) != owner:
        return None
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


async def running_tasks_of(owner):
    """`owner`'s tasks still running: alive, not cancelled, state not final."""
    task_ids = await cache.aget(_owned_key(owner), [])
    keys = [
        key
        for task_id in task_ids
        for key in (_state_key(task_id), _alive_key(task_id), _cancel_key(task_id))
    ]
    found = await cache.aget_many(keys)

    def running(task_id):
        latest = found.get(_state_key(task_id))
        return (
            _alive_key(task_id) in found
            and _cancel_key(task_id) not in found
            and latest is not None
            and not updates.is_final(latest)
        )

    return [task_id for task_id in task_ids if running(task_id)]


async def add_task(owner, task_id, running):
    """Record `task_id` as `owner`'s, next to its `running` tasks."""
    await cache.aset_many(
        {_owner_key(task_id): owner, _owned_key(owner): [*running, task_id]},
        settings.TASK_STATE_SECONDS,
    )
