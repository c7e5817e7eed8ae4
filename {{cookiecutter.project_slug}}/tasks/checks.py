"""System checks of the task settings: `manage.py check` fails before a server starts.

https://docs.djangoproject.com/en/5.2/topics/checks/
"""

from django.conf import settings
from django.core.checks import Error, register

TASK_RUNNERS = ("in-process", "worker")
# Layers that queue a message sent to a named channel until one `runworker`
# takes it. In-process layers never leave the process; pub/sub layers drop a
# message nobody listens to and hand it to every listener.
WORKER_LAYERS = (
    "channels_redis.core.RedisChannelLayer",
    "realtime_kit.redis_layer.RedisChannelLayer",
)


@register()
def check_task_runner(app_configs, **kwargs):
    if settings.TASK_RUNNER not in TASK_RUNNERS:
        return [
            Error(
                f"TASK_RUNNER={settings.TASK_RUNNER!r} is not one of {TASK_RUNNERS}.",
                id="tasks.E001",
            )
        ]
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if settings.TASK_RUNNER == "worker" and backend not in WORKER_LAYERS:
        return [
            Error(
                "TASK_RUNNER=worker needs a channel layer that queues work for"
                f" one `runworker` process; {backend} does not.",
                hint="Use realtime_kit.redis_layer.RedisChannelLayer,"
                " or TASK_RUNNER=in-process.",
                id="tasks.E002",
            )
        ]
    return []
