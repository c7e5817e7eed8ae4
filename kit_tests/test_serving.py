"""The production server's configuration (realtime_kit/serving.py), its checks
(realtime_kit/checks.py) and the logging filters (realtime_kit/log_filters.py)."""

import logging
import sys

import pytest
from django.conf import settings
from django.test import override_settings

from realtime_kit.checks import check_server
from realtime_kit.log_filters import NoQueryString, OncePerInterval, PlainLine
from realtime_kit.serving import bind_address, uvicorn_config

MEMORY = {"default": {"BACKEND": "realtime_kit.memory_layer.MemoryChannelLayer"}}
CHANNELS_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
REDIS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}


def ids(problems):
    return [problem.id for problem in problems]


@pytest.mark.parametrize("layers", [MEMORY, CHANNELS_MEMORY])
def test_several_processes_on_the_in_memory_layer_are_refused(layers):
    with override_settings(CHANNEL_LAYERS=layers, SERVER_PROCESSES=2):
        problems = check_server(None)
    assert ids(problems) == ["realtime_kit.E002"]
    assert "does not cross processes" in problems[0].msg


@pytest.mark.parametrize(("layers", "processes"), [(MEMORY, 1), (REDIS, 4)])
def test_one_process_or_a_shared_layer_is_fine(layers, processes):
    with override_settings(CHANNEL_LAYERS=layers, SERVER_PROCESSES=processes):
        assert check_server(None) == []


@pytest.mark.parametrize("size", [0, 1024 * 1024 + 1])
def test_a_message_limit_over_1_mib_is_refused(size):
    with override_settings(WEBSOCKET_MAX_MESSAGE_BYTES=size):
        assert ids(check_server(None)) == ["realtime_kit.E003"]


def test_a_ping_timeout_longer_than_the_interval_is_a_warning():
    with override_settings(WEBSOCKET_PING_SECONDS=5, WEBSOCKET_PING_TIMEOUT_SECONDS=9):
        assert ids(check_server(None)) == ["realtime_kit.W002"]


def test_the_server_takes_its_settings():
    with override_settings(
        SERVER_BIND="10.0.0.2:9000",
        SERVER_FORWARDED_ALLOW_IPS="10.0.0.1",
        WEBSOCKET_PING_SECONDS=7.0,
        WEBSOCKET_PING_TIMEOUT_SECONDS=6.0,
        SERVER_SHUTDOWN_SECONDS=4,
    ):
        config = uvicorn_config()
    assert (config.host, config.port) == ("10.0.0.2", 9000)
    assert config.ws == "websockets-sansio"
    assert config.ws_max_size == settings.WEBSOCKET_MAX_MESSAGE_BYTES
    assert (config.ws_ping_interval, config.ws_ping_timeout) == (7.0, 6.0)
    assert config.proxy_headers
    assert config.forwarded_allow_ips == "10.0.0.1"
    assert config.timeout_graceful_shutdown == 4
    assert config.log_config is None


@pytest.mark.parametrize(
    ("bind", "address"),
    [
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        ("[::1]:80", ("::1", 80)),
        (":8000", ("0.0.0.0", 8000)),
    ],
)
def test_bind_addresses(bind, address):
    assert bind_address(bind) == address


def test_a_bind_without_a_port_is_refused():
    with pytest.raises(ValueError, match="host:port"):
        bind_address("localhost")


def record(name, message, *args, level=logging.INFO, exc_info=None):
    return logging.LogRecord(name, level, "", 0, message, args, exc_info)


def test_log_lines_lose_their_query_strings():
    line = record("uvicorn.access", '%s - "%s %s HTTP/%s" %d')
    line.args = ("1.2.3.4:5", "GET", "/chat/?token=secret", "1.1", 200)
    assert NoQueryString().filter(line)
    assert "secret" not in line.getMessage()
    assert "/chat/" in line.getMessage()


def test_a_plain_line_keeps_the_errors_last_line_and_drops_the_traceback():
    try:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:1")
    except ConnectionError:
        line = record("kit", "Lost %s", "Redis", level=logging.ERROR)
        line.exc_info = sys.exc_info()
    assert PlainLine().filter(line)
    assert line.levelno == logging.WARNING and line.levelname == "WARNING"
    assert line.exc_info is None and line.exc_text is None
    assert line.getMessage() == (
        "Lost Redis (ConnectionError: Error 111 connecting to 127.0.0.1:1)"
    )
    formatted = logging.Formatter("%(message)s").format(line)
    assert "Traceback" not in formatted


def test_once_per_interval_holds_repeats_and_counts_them(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("realtime_kit.log_filters.time.monotonic", lambda: now[0])
    once = OncePerInterval(seconds=60)
    assert once.filter(record("kit", "reader failed"))
    for _ in range(59):
        now[0] += 1
        assert not once.filter(record("kit", "reader failed"))
    assert once.filter(record("kit", "another message"))
    now[0] += 1.5
    line = record("kit", "reader failed")
    assert once.filter(line)
    assert line.getMessage() == "reader failed (59 more like it in 60 s)"


def test_once_per_interval_counts_a_plain_lines_errors_as_one_message():
    """Behind PlainLine, each error's text joins the message: the same failure
    with another error text (redis-py words them variously) is still held."""
    plain, once = PlainLine(), OncePerInterval(seconds=60)
    passed = []
    for error in ("Connection closed by server.", "Error 111 connecting"):
        try:
            raise ConnectionError(error)
        except ConnectionError:
            line = record("channels_redis.pubsub", "Unexpected exception in receive")
            line.exc_info = sys.exc_info()
        passed.append(plain.filter(line) and once.filter(line))
    assert passed == [True, False]
