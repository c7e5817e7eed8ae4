"""Echo: a synchronous consumer that sends each frame back in kind: text or bytes.

https://channels.readthedocs.io/en/stable/topics/consumers.html#websocketconsumer
"""

from channels.generic.websocket import WebsocketConsumer

from realtime.consumers.inline_dispatch import InlineDispatchMixin


class EchoConsumer(InlineDispatchMixin, WebsocketConsumer):
    # Sync code, run on the event loop: it never blocks (see InlineDispatchMixin).
    # No channel layer: no layer receive loop per connection, and echo keeps
    # working while the layer's backend (Redis) is down.
    channel_layer_alias = None

    def receive(self, text_data=None, bytes_data=None):
        if text_data is not None:
            self.send(text_data=text_data)
        else:
            self.send(bytes_data=bytes_data)
