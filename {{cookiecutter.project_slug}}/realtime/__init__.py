"""What every websocket gets: middlewares, the consumer mixin, the in-memory layer.

The sample apps (echo, chat, tasks) build on this package; it never imports them.
"""
