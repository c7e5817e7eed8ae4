"""Every websocket is rate limited (realtime_kit/rate_limit.py), through the
whole stack."""

import logging

import pytest
from django.conf import settings

from realtime_kit.rate_limit import RateLimitMiddleware, TokenBucket
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
    [record] = warnings_from(caplog, "realtime_kit.rate_limit")
    assert echo_path in record.getMessage()
    assert record.exc_info is None


async def test_a_steady_sender_under_the_rate_is_never_closed():
    bucket = TokenBucket(rate=20, burst=2)
    assert bucket.take() and bucket.take()
    assert not bucket.take()
    bucket.updated -= 0.05  # 50 ms later: one more token
    assert bucket.take()
    assert not bucket.take()


def test_the_middleware_reads_its_settings_unless_given_a_rate(settings):
    settings.WEBSOCKET_RATE_LIMIT, settings.WEBSOCKET_RATE_BURST = 3.0, 7
    from_settings = RateLimitMiddleware(None)
    assert (from_settings.rate, from_settings.burst) == (3.0, 7)
    given = RateLimitMiddleware(None, rate=5, burst=9)
    assert (given.rate, given.burst) == (5, 9)
    assert not RateLimitMiddleware(None, rate=0, burst=1).intercepts
    with pytest.raises(ValueError, match="burst at least 1"):
        RateLimitMiddleware(None, rate=1, burst=0)
