"""A synchronous consumer: its handlers run in a worker thread, one at a time.

Being sync, it may call the ORM directly, and reaches the channel layer
through async_to_sync (see the tests for both).
https://channels.readthedocs.io/en/stable/topics/consumers.html#websocketconsumer
"""

from channels.generic.websocket import WebsocketConsumer


class EchoConsumer(WebsocketConsumer):
    def receive(self, text_data=None, bytes_data=None):
        if text_data is not None:
            self.send(text_data=text_data)
        else:
            self.send(bytes_data=bytes_data)
