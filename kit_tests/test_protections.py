"""Every websocket is rate limited, size limited and counted, through the full stack."""

import logging

import pytest
from django.conf import settings

from realtime.counters import websocket_counters
from realtime.message_size import text_fits
from realtime.rate_limit import TokenBucket
from tests.clients import open_websocket

# Channels closes stale database connections when a socket disconnects.
pytestmark = pytest.mark.django_db(transaction=True)


async def receive_until_close(client):
    """Every websocket.send text before the close, and the close message."""
    texts = []
    while True:
        message = await client.receive_output(timeout=5)
        if message["type"] == "websocket.close":
            return texts, message
        texts.append(message["text"])


def warnings_from(caplog, logger_name):
    return [
        record
        for record in caplog.records
        if record.name == logger_name and record.levelno >= logging.WARNING
    ]


async def test_a_flood_is_closed_with_4008_and_logged_once(echo_path, caplog):
    burst = settings.WEBSOCKET_RATE_BURST
    async with open_websocket(echo_path) as client:
        for number in range(burst * 3):
            await client.send_to(text_data=str(number))
        texts, close = await receive_until_close(client)
    assert close == {"type": "websocket.close", "code": 4008}
    # The burst went through, in order; the rest never reached the consumer.
    assert burst <= len(texts) < burst * 2
    assert texts == [str(number) for number in range(len(texts))]
    [record] = warnings_from(caplog, "realtime.rate_limit")
    assert echo_path in record.getMessage()
    assert record.exc_info is None


async def test_a_steady_sender_under_the_rate_is_never_closed():
    bucket = TokenBucket(rate=20, burst=2)
    assert bucket.take() and bucket.take()
    assert not bucket.take()
    bucket.updated -= 0.05  # 50 ms later: one more token
    assert bucket.take()
    assert not bucket.take()


async def test_an_oversize_message_is_closed_with_4009_and_logged_once(
    echo_path, caplog
):
    limit = settings.WEBSOCKET_MAX_MESSAGE_BYTES
    async with open_websocket(echo_path) as client:
        await client.send_to(text_data="x" * limit)
        assert len(await client.receive_from()) == limit
        await client.send_to(bytes_data=b"x" * (limit + 1))
        texts, close = await receive_until_close(client)
    assert texts == []
    assert close == {"type": "websocket.close", "code": 4009}
    [record] = warnings_from(caplog, "realtime.message_size")
    assert str(limit + 1) in record.getMessage()


def test_text_size_is_counted_in_utf8_bytes():
    assert text_fits("é" * 10, 20)
    assert not text_fits("é" * 11, 20)
    assert not text_fits("x" * 21, 20)
    assert text_fits("x" * 5, 20)


async def test_counters_count_connections_closes_and_messages(echo_path):
    before = websocket_counters.snapshot()
    async with open_websocket(echo_path) as client:
        for number in range(3):
            await client.send_to(text_data=str(number))
            await client.receive_from()
    async with open_websocket(echo_path) as client:
        await client.send_to(text_data="x" * (settings.WEBSOCKET_MAX_MESSAGE_BYTES + 1))
        await receive_until_close(client)
    after = websocket_counters.snapshot()
    assert after["opened"] - before["opened"] == 2
    assert after["messages_in"] - before["messages_in"] == 4
    assert after["messages_out"] - before["messages_out"] == 3
    closed = after["closed"]
    for code, count in {1000: 1, 4009: 1}.items():
        assert closed.get(code, 0) - before["closed"].get(code, 0) == count
    assert after["open"] == before["open"]
