"""Settings for the tests: the project's own, with a throwaway key when none is set.

The consumer tests run on the project's in-memory channel layer, so they need no
service; tests of a Redis layer (when the project has one) start their own server.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-never-use-this-key-" + "x" * 40)

from config.settings import *  # noqa: F403

CHANNEL_LAYERS = {"default": {"BACKEND": "realtime.memory_layer.MemoryChannelLayer"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TASK_STEP_SECONDS = 0.01
