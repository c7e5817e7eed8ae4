"""The channel that hands jobs to a `manage.py runworker tasks` process.

With TASK_RUNNER=worker the consumer sends {"type": "task.run", ...} here, and
TaskWorkerConsumer starts the job in the worker's JobRunner. Only a layer that
crosses processes and queues each message for one reader (RedisChannelLayer)
can carry it.
https://channels.readthedocs.io/en/stable/topics/worker.html
"""

TASK_WORKER_CHANNEL = "tasks"


def run_message(task_id, total):
    return {"type": "task.run", "task_id": task_id, "total": total}
