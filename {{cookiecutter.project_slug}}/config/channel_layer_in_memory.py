"""Channel layer and cache: in process memory, for a single server process.

Nothing to run besides the server, but nothing crosses processes either: a
second server process or a `runworker` would never see these messages.
https://channels.readthedocs.io/en/stable/topics/channel_layers.html
"""

CHANNEL_LAYERS = {
    "default": {"BACKEND": "realtime.memory_layer.MemoryChannelLayer"},
}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
