"""The production server's configuration (realtime/serving.py) and its checks."""

import logging

import pytest
from django.conf import settings
from django.test import override_settings

from realtime.checks import check_server
from realtime.serving import (
    GoingAwayWebSocketProtocol,
    QueryStringFilter,
    bind_address,
    uvicorn_config,
)

MEMORY = {"default": {"BACKEND": "realtime.memory_layer.MemoryChannelLayer"}}
REDIS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}


def ids(problems):
    return [problem.id for problem in problems]


def test_several_processes_on_the_in_memory_layer_are_refused():
    with override_settings(CHANNEL_LAYERS=MEMORY, SERVER_PROCESSES=2):
        problems = check_server(None)
    assert ids(problems) == ["realtime.E002"]
    assert "does not cross processes" in problems[0].msg


@pytest.mark.parametrize(("layers", "processes"), [(MEMORY, 1), (REDIS, 4)])
def test_one_process_or_a_shared_layer_is_fine(layers, processes):
    with override_settings(CHANNEL_LAYERS=layers, SERVER_PROCESSES=processes):
        assert check_server(None) == []


@pytest.mark.parametrize("size", [0, 1024 * 1024 + 1])
def test_a_message_limit_over_1_mib_is_refused(size):
    with override_settings(WEBSOCKET_MAX_MESSAGE_BYTES=size):
        assert ids(check_server(None)) == ["realtime.E003"]


def test_the_server_takes_its_settings():
    with override_settings(
        SERVER_BIND="10.0.0.2:9000",
        SERVER_FORWARDED_ALLOW_IPS="10.0.0.1",
        WEBSOCKET_PING_SECONDS=7.0,
    ):
        config = uvicorn_config()
    assert (config.host, config.port) == ("10.0.0.2", 9000)
    assert config.ws_max_size == settings.WEBSOCKET_MAX_MESSAGE_BYTES
    assert config.ws_ping_interval == 7.0
    assert config.proxy_headers
    assert config.forwarded_allow_ips == "10.0.0.1"
    assert config.ws is GoingAwayWebSocketProtocol


@pytest.mark.parametrize(
    ("bind", "address"),
    [("127.0.0.1:8000", ("127.0.0.1", 8000)), ("[::1]:80", ("::1", 80))],
)
def test_bind_addresses(bind, address):
    assert bind_address(bind) == address


def test_a_bind_without_a_port_is_refused():
    with pytest.raises(ValueError, match="host:port"):
        bind_address("localhost")


def test_log_lines_lose_their_query_strings():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', None, None
    )
    record.args = ("1.2.3.4:5", "GET", "/chat/?token=secret", "1.1", 200)
    assert QueryStringFilter().filter(record)
    assert "secret" not in record.getMessage()
    assert "/chat/" in record.getMessage()
