"""Channel layer and cache: in process memory, for a single server process.

Nothing to run besides the server, but nothing crosses processes either: a
second server process, a `runworker` or `manage.py notify` never sees these
messages. The layer is Channels' contract, faster (realtime_kit/memory_layer.py).
https://channels.readthedocs.io/en/stable/topics/channel_layers.html
"""

REDIS_HOST = None

CHANNEL_LAYERS = {
    "default": {"BACKEND": "realtime_kit.memory_layer.MemoryChannelLayer"},
}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
