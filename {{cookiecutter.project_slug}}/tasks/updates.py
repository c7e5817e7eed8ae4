"""Task messages, and their fan-out to every watcher through a group per task.

Each message is encoded to JSON once, here, not once per watcher; the event
also carries the task id, the step and whether it is final, so that consumers
can drop stale or late updates without decoding it.
https://channels.readthedocs.io/en/stable/topics/channel_layers.html#groups
"""

import json

from channels.layers import get_channel_layer

from tasks.ids import task_group_name

FINAL_TYPES = frozenset({"task.done", "task.cancelled", "task.failed"})


def started(task_id, total):
    return {"type": "task.started", "task_id": task_id, "total": total}


def progress(task_id, step, total):
    return {"type": "task.progress", "task_id": task_id, "step": step, "total": total}


def done(task_id):
    return {"type": "task.done", "task_id": task_id}


def cancelled(task_id):
    return {"type": "task.cancelled", "task_id": task_id}


def failed(task_id, error):
    return {"type": "task.failed", "task_id": task_id, "error": error}


def lost(task_id):
    return failed(task_id, "lost: no process is running it any more")


def is_final(message):
    return message["type"] in FINAL_TYPES


def update_event(message):
    """The channel-layer event that delivers `message` to the consumers' task_update."""
    return {
        "type": "task.update",
        "task_id": message["task_id"],
        "step": message.get("step"),
        "final": is_final(message),
        "text": json.dumps(message),
    }


async def publish(message):
    await get_channel_layer().group_send(
        task_group_name(message["task_id"]), update_event(message)
    )
