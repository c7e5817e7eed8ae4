"""The worker side of TASK_RUNNER=worker: runs jobs sent to the "tasks" channel.

Start it next to the servers with `python manage.py runworker tasks`; it needs
RedisChannelLayer, and as many workers as you like may share the channel.
https://channels.readthedocs.io/en/stable/topics/worker.html
"""

from channels.consumer import AsyncConsumer

from realtime.consumers.database_free import DatabaseFreeMixin
from realtime.jobs import state, updates
from realtime.jobs.runner import TooManyTasks, runner


class TaskWorkerConsumer(DatabaseFreeMixin, AsyncConsumer):
    async def task_run(self, message):
        task_id, total = message["task_id"], message["total"]
        try:
            runner.start(task_id, total)
        except TooManyTasks as error:
            failure = updates.failed(task_id, str(error))
            await state.save_state(failure)
            await updates.publish(failure)
