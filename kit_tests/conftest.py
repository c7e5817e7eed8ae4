"""The kit's tests, run inside a bake (tests/kit/): which ones fit its channel layer.

The template's tests/test_kit.py copies this folder into bakes of each layer
and runs it there. A module listed in MODULE_LAYERS runs only on those layers;
a test marked `layers(...)` likewise; the rest run everywhere.
"""

import os

import pytest
from django.conf import settings

IN_MEMORY, REDIS, PUBSUB = "in-memory", "redis", "redis-pubsub"
BACKEND_LAYERS = {
    "realtime_kit.memory_layer.MemoryChannelLayer": IN_MEMORY,
    "realtime_kit.redis_layer.RedisChannelLayer": REDIS,
    "channels_redis.pubsub.RedisPubSubChannelLayer": PUBSUB,
}
MODULE_LAYERS = {
    "test_memory_layer.py": {IN_MEMORY},
    "test_redis_layer.py": {REDIS},
    "test_redis_pubsub_layer.py": {PUBSUB},
    "test_redis_pressure.py": {REDIS, PUBSUB},
    "test_redis_outage.py": {REDIS},
    "test_redis_pubsub_outage.py": {PUBSUB},
    "test_redis_readyz.py": {REDIS, PUBSUB},
    "test_redis_receive_cancel.py": {REDIS},
}


def bake_layer():
    """The layer this bake was baked with: in-memory, redis or redis-pubsub."""
    from config import channel_layer

    return BACKEND_LAYERS[channel_layer.CHANNEL_LAYERS["default"]["BACKEND"]]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "layers(*names): runs only on these channel layers"
    )


def pytest_ignore_collect(collection_path, config):
    layers = MODULE_LAYERS.get(collection_path.name)
    return True if layers is not None and bake_layer() not in layers else None


def pytest_collection_modifyitems(config, items):
    layer, kept, dropped = bake_layer(), [], []
    for item in items:
        marker = item.get_closest_marker("layers")
        (dropped if marker and layer not in marker.args else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def redis_url():
    """The Redis of this test run, on Redis bakes (set by tests/settings.py)."""
    return os.environ["REDIS_URL"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix, tmp_path_factory
):
    """An SQLite test database in a file: Django never closes an in-memory one,
    and the consumers' tests need connections that really close."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        name = tmp_path_factory.mktemp("kit-database") / "kit.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)
