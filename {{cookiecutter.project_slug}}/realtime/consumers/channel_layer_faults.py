"""A mixin for async consumers that need the channel layer: survive its outages quietly.

When the layer's backend (Redis) is down, Channels' own handling is noisy: the
layer receive loop that every such consumer runs raises, daphne logs a full
traceback and closes the socket with 1011, for every connection, and a failing
group_add or group_send in a handler does the same. With this mixin a layer
failure logs one ERROR line, without traceback, and closes the socket with
4011 (internal error; see close_codes.py), or refuses the handshake (daphne
answers HTTP 403) when it happens before accept, including in the layer's
new_channel(), which Channels awaits before connect() runs (the pub/sub layer
subscribes there). Nothing is retried here: clients reconnect, and once the
layer is back, new connections work again without restarting the server.

Call layer operations in handlers by name, through
`await self.use_layer("group_send", ...)`, which returns False when the layer
failed and the socket is being closed.

https://channels.readthedocs.io/en/stable/topics/channel_layers.html
"""

import asyncio
import logging

from realtime.close_codes import INTERNAL_ERROR

logger = logging.getLogger(__name__)


class ChannelLayerFaultsMixin:
    channel_layer_failed = False

    # AsyncConsumer.__call__ sets `channel_receive` to the layer's receive for
    # this channel, then reads it back for its receive loop: the property puts
    # the fault handling of `receive_from_channel_layer` between the two.
    @property
    def channel_receive(self):
        return self.receive_from_channel_layer

    @channel_receive.setter
    def channel_receive(self, layer_receive):
        self.layer_receive = layer_receive

    async def __call__(self, scope, receive, send):
        self.channel_name = None
        try:
            await super().__call__(scope, receive, send)
        except Exception as error:
            # Only a failure to create this consumer's channel is handled here;
            # once the channel exists, errors surface as before.
            if getattr(self, "channel_layer", None) is None or self.channel_name:
                raise
            self.base_send = send
            await receive()  # the handshake's websocket.connect
            await self.close_for_channel_layer_fault("new_channel", error)

    async def receive_from_channel_layer(self):
        if not self.channel_layer_failed:
            try:
                return await self.layer_receive()
            except Exception as error:
                await self.close_for_channel_layer_fault("receiving", error)
        # No more layer messages, and no retry loop: the socket is closing.
        await asyncio.get_running_loop().create_future()

    async def use_layer(self, method, *args):
        """Await the layer's `method(*args)`; on failure log, close, return False."""
        if self.channel_layer_failed:
            return False
        try:
            await getattr(self.channel_layer, method)(*args)
        except Exception as error:
            await self.close_for_channel_layer_fault(method, error)
            return False
        return True

    async def close_for_channel_layer_fault(self, doing, error):
        if self.channel_layer_failed:
            return
        self.channel_layer_failed = True
        logger.error(
            "Channel layer failed (%s: %s) while %s on %r; closing the socket",
            type(error).__name__,
            error,
            doing,
            self.scope["path"][:200],
        )
        await self.close(code=INTERNAL_ERROR)
