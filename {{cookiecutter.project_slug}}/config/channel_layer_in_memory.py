"""Channel layer and cache: in process memory, for a single server process.

Nothing to run besides the server, but nothing crosses processes either: a
second server process, a task worker or `manage.py notify` never sees these
messages (the tasks page reads the jobs' progress from the database instead). The layer is Channels' contract, faster (realtime_kit/memory_layer.py).
https://channels.readthedocs.io/en/stable/topics/channel_layers.html
"""

from config.env import env_number

# No Redis: code that would talk to Redis directly checks for None.
REDIS_HOST = None

CHANNEL_LAYERS = {
    "default": {"BACKEND": "realtime_kit.memory_layer.MemoryChannelLayer"},
}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

# The tasks sample's sockets read their jobs' rows this often: the worker's
# progress cannot reach them through this layer.
TASK_POLL_SECONDS = env_number("TASK_POLL_SECONDS", 0.5, kind=float)
