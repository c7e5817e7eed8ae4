"""Task ids: random, hard to guess, and safe inside a channel-layer group name.

Knowing a task's id is what lets a client watch or cancel it, so ids come from
a cryptographic source; clients' ids are checked before they reach a group name.
https://channels.readthedocs.io/en/stable/topics/channel_layers.html#groups
"""

import re
import uuid

_TASK_ID = re.compile(r"[0-9a-f]{32}\Z")


def new_task_id():
    return uuid.uuid4().hex


def is_valid_task_id(value):
    return isinstance(value, str) and bool(_TASK_ID.match(value))


def task_group_name(task_id):
    return f"task.{task_id}"
