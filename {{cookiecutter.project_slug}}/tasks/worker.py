"""The worker side of TASK_RUNNER=worker: jobs sent to the "tasks" channel run here.

Start it next to the servers with `python manage.py runworker tasks`; it needs
RedisChannelLayer, and as many workers as you like may share the channel.
https://channels.readthedocs.io/en/stable/topics/worker.html
"""

from channels.consumer import AsyncConsumer

from tasks import state, updates
from tasks.runner import TooManyTasks, runner

TASK_WORKER_CHANNEL = "tasks"


def run_message(task_id, total):
    """What a server sends to TASK_WORKER_CHANNEL to have a worker run a job."""
    return {"type": "task.run", "task_id": task_id, "total": total}


class TaskWorkerConsumer(AsyncConsumer):
    async def task_run(self, message):
        task_id, total = message["task_id"], message["total"]
        try:
            runner.start(task_id, total)
        except TooManyTasks as error:
            failure = updates.failed(task_id, str(error))
            await state.save_state(failure)
            await updates.publish(failure)
