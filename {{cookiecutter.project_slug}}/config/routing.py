"""The ASGI application: Django answers HTTP, the websocket stack answers websockets.

A websocket handshake passes, outermost first:
1. AllowedHostsOriginValidator: refuses an Origin outside ALLOWED_HOSTS, or none;
2. RouteNotFoundMiddleware: refuses a path no route matches, before any
   session lookup, with one WARNING line instead of a 500 and a traceback;
3. CountingMiddleware: counts connections and messages (realtime/counters.py);
4. MessageSizeLimitMiddleware: closes with 4009 a client sending an oversize message;
5. RateLimitMiddleware: closes with 4008 a client sending too fast;
6. AuthMiddlewareStack: cookies, session, and scope["user"];
7. URLRouter: the consumer for the path.
Messages on named channels ("channel") go to the workers of `manage.py runworker`.

https://channels.readthedocs.io/en/stable/topics/routing.html
https://channels.readthedocs.io/en/stable/topics/security.html
"""

from channels.auth import AuthMiddlewareStack
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings

from realtime.consumers.task_worker import TaskWorkerConsumer
from realtime.counters import CountingMiddleware
from realtime.jobs.worker_channel import TASK_WORKER_CHANNEL
from realtime.message_size import MessageSizeLimitMiddleware
from realtime.rate_limit import RateLimitMiddleware
from realtime.route_not_found import RouteNotFoundMiddleware
from realtime.routing import websocket_urlpatterns


def build_websocket_protections(inner):
    """`inner` behind the rate limit, size limit and counters of the settings."""
    if settings.WEBSOCKET_RATE_LIMIT > 0:
        inner = RateLimitMiddleware(
            inner,
            rate=settings.WEBSOCKET_RATE_LIMIT,
            burst=settings.WEBSOCKET_RATE_BURST,
        )
    inner = MessageSizeLimitMiddleware(
        inner, max_bytes=settings.WEBSOCKET_MAX_MESSAGE_BYTES
    )
    return CountingMiddleware(inner)


def build_application(http_application):
    router = URLRouter(websocket_urlpatterns)
    websocket_stack = AllowedHostsOriginValidator(
        RouteNotFoundMiddleware(
            build_websocket_protections(AuthMiddlewareStack(router)), router=router
        )
    )
    return ProtocolTypeRouter(
        {
            "http": http_application,
            "websocket": websocket_stack,
            # Jobs sent to `manage.py runworker tasks` (TASK_RUNNER=worker).
            "channel": ChannelNameRouter(
                {TASK_WORKER_CHANNEL: TaskWorkerConsumer.as_asgi()}
            ),
        }
    )
