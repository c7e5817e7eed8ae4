"""Websocket counters: connections opened, closed by code, messages in and out.

One WebsocketCounters object per process (`websocket_counters`), fed by
CountingMiddleware. snapshot() returns plain numbers, ready for a log line, a
health view or a metrics exporter, for example with prometheus_client:

    from prometheus_client.core import CounterMetricFamily, REGISTRY

    class WebsocketCollector:
        def collect(self):
            numbers = websocket_counters.snapshot()
            for name in ("opened", "messages_in", "messages_out"):
                yield CounterMetricFamily(f"websocket_{name}", name,
                                          value=numbers[name])
            closed = CounterMetricFamily("websocket_closed", "closed",
                                         labels=["code"])
            for code, count in numbers["closed"].items():
                closed.add_metric([str(code)], count)
            yield closed

    REGISTRY.register(WebsocketCollector())

Counts are per process: with several daphne processes, add them up in the
metrics system. A connection the application accepted counts as opened; it
counts as closed once, under the code of whichever side closed first (1011
when the application raised, 1006 when no code was seen).

https://channels.readthedocs.io/en/stable/deploying.html
"""

from collections import Counter

from realtime.interception import WebsocketInterceptionMiddleware

ABNORMAL_CLOSURE = 1006
INTERNAL_ERROR = 1011


class WebsocketCounters:
    """Running totals for one process; snapshot() reads them all at once."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.opened = 0
        self.messages_in = 0
        self.messages_out = 0
        self.closed = Counter()

    def snapshot(self):
        return {
            "opened": self.opened,
            "open": self.opened - self.closed.total(),
            "closed": dict(self.closed),
            "messages_in": self.messages_in,
            "messages_out": self.messages_out,
        }


websocket_counters = WebsocketCounters()


class CountingMiddleware(WebsocketInterceptionMiddleware):
    """Wraps `inner`; counts its websocket connections and messages into `counters`."""

    def __init__(self, inner, counters=websocket_counters):
        super().__init__(inner)
        self.counters = counters

    async def on_receive(self, connection, message):
        kind = message["type"]
        if kind == "websocket.receive":
            self.counters.messages_in += 1
        elif kind == "websocket.disconnect":
            connection.state.setdefault("close_code", message.get("code"))
        return message

    async def on_send(self, connection, message):
        kind = message["type"]
        if kind == "websocket.send":
            self.counters.messages_out += 1
        elif kind == "websocket.accept":
            self.counters.opened += 1
            connection.state["accepted"] = True
        elif kind == "websocket.close":
            connection.state.setdefault("close_code", message.get("code") or 1000)
        return message

    def on_finish(self, connection, error):
        state = connection.state
        if not state.get("accepted"):
            return
        if isinstance(error, Exception):
            code = INTERNAL_ERROR
        else:
            code = state.get("close_code") or ABNORMAL_CLOSURE
        self.counters.closed[code] += 1
