"""System checks of the task settings: `manage.py check` fails before a server starts.

https://docs.djangoproject.com/en/5.2/topics/checks/
"""

from django.conf import settings
from django.core.checks import Error, register

TASK_RUNNERS = ("in-process", "worker")
IN_MEMORY_LAYER = "channels.layers.InMemoryChannelLayer"


@register()
def check_task_runner(app_configs, **kwargs):
    if settings.TASK_RUNNER not in TASK_RUNNERS:
        return [
            Error(
                f"TASK_RUNNER={settings.TASK_RUNNER!r} is not one of {TASK_RUNNERS}.",
                id="realtime.E001",
            )
        ]
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if settings.TASK_RUNNER == "worker" and backend == IN_MEMORY_LAYER:
        return [
            Error(
                "TASK_RUNNER=worker needs a channel layer shared between processes:"
                " the in-memory layer never reaches a `runworker` process.",
                hint="Use the Redis layer, or TASK_RUNNER=in-process.",
                id="realtime.E002",
            )
        ]
    return []
