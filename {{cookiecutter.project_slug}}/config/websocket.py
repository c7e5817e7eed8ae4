"""What answers websockets, outermost first, and the routes of every app.

A handshake passes, in this order:
0. ClientLimitMiddleware: caps per client address, over all its sockets
   (sockets at once, handshakes and messages per second, a cooldown after a
   4008/4009 close), in this process's memory: the cheapest refusal first;
1. OriginMiddleware: refuses an Origin outside WEBSOCKET_ALLOWED_ORIGINS (scheme,
   host and port), or none unless the client offers a ticket;
2. RouteNotFoundMiddleware: refuses a path no route matches, before any session
   lookup, with one WARNING line instead of a 500 and a traceback;
3. CountingMiddleware: counts sockets and messages (realtime/counters.py);
4. MessageSizeLimitMiddleware: closes with 4009 a client sending an oversize message;
5. RateLimitMiddleware: closes with 4008 a client sending too fast;
6. LayerOutageMiddleware: a channel-layer outage ends the socket with 4011 and
   one ERROR line;
7. TicketAuthMiddleware: scope["user"] from a websocket ticket when the client
   offers one (a bad one is refused), else from the session cookie, through
   Channels' AuthMiddlewareStack;
8. URLRouter: the consumer for the path.

https://channels.readthedocs.io/en/stable/topics/routing.html
https://channels.readthedocs.io/en/stable/topics/security.html
"""

from channels.routing import URLRouter
from django.conf import settings

from chat import routing as chat_routing
from echo import routing as echo_routing
from notifications import routing as notifications_routing
from realtime.client_limits import ClientLimitMiddleware
from realtime.counters import CountingMiddleware
from realtime.layer_outages import LayerOutageMiddleware
from realtime.message_size import MessageSizeLimitMiddleware
from realtime.origins import OriginMiddleware
from realtime.rate_limit import RateLimitMiddleware
from realtime.route_not_found import RouteNotFoundMiddleware
from realtime.tickets import TicketAuthMiddleware
from tasks import routing as tasks_routing

websocket_urlpatterns = [
    *echo_routing.websocket_urlpatterns,
    *chat_routing.websocket_urlpatterns,
    *tasks_routing.websocket_urlpatterns,
    *notifications_routing.websocket_urlpatterns,
]

# Named channels, served by `manage.py runworker <channel>`.
channel_routes = {
    **tasks_routing.channel_routes,
}

router = URLRouter(websocket_urlpatterns)

websocket_application = ClientLimitMiddleware(
    OriginMiddleware(
        RouteNotFoundMiddleware(
            CountingMiddleware(
                MessageSizeLimitMiddleware(
                    RateLimitMiddleware(
                        LayerOutageMiddleware(TicketAuthMiddleware(router)),
                        rate=settings.WEBSOCKET_RATE_LIMIT,
                        burst=settings.WEBSOCKET_RATE_BURST,
                    ),
                    max_bytes=settings.WEBSOCKET_MAX_MESSAGE_BYTES,
                ),
            ),
            router=router,
        ),
        allowed_origins=settings.WEBSOCKET_ALLOWED_ORIGINS,
    ),
    max_sockets=settings.WEBSOCKET_CLIENT_MAX_SOCKETS,
    handshake_rate=settings.WEBSOCKET_CLIENT_HANDSHAKE_RATE,
    handshake_burst=settings.WEBSOCKET_CLIENT_HANDSHAKE_BURST,
    rate=settings.WEBSOCKET_CLIENT_RATE_LIMIT,
    burst=settings.WEBSOCKET_CLIENT_RATE_BURST,
    cooldown_seconds=settings.WEBSOCKET_CLIENT_COOLDOWN_SECONDS,
)
