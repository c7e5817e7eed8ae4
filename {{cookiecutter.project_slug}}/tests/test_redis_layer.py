"""The Redis channel layer's configuration.

Every consumer test of this project runs on this layer and a real Redis
(tests/settings.py); chat/tests/test_outage_redis.py stops that Redis under a
running server.
"""

from channels_redis.core import RedisChannelLayer

from config import channel_layer


def test_the_project_settings_choose_redis():
    backend = channel_layer.CHANNEL_LAYERS["default"]["BACKEND"]
    assert backend == "realtime.redis_layer.RedisChannelLayer"


def test_layer_connections_outwait_the_blocking_receive():
    """A socket timeout shorter than BZPOPMIN's block kills idle sockets (1011)."""
    (host,) = channel_layer.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout
