"""The ASGI application: Django answers HTTP, the websocket stack answers websockets.

A websocket handshake passes, outermost first:
1. AllowedHostsOriginValidator: refuses an Origin outside ALLOWED_HOSTS, or none;
2. RouteNotFoundMiddleware: refuses a path no route matches, before any
   session lookup, with one WARNING line instead of a 500 and a traceback;
3. AuthMiddlewareStack: cookies, session, and scope["user"];
4. URLRouter: the consumer for the path.
Messages on named channels ("channel") go to the workers of `manage.py runworker`.

https://channels.readthedocs.io/en/stable/topics/routing.html
https://channels.readthedocs.io/en/stable/topics/security.html
"""

from channels.auth import AuthMiddlewareStack
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator

from realtime.consumers.task_worker import TaskWorkerConsumer
from realtime.jobs.worker_channel import TASK_WORKER_CHANNEL
from realtime.route_not_found import RouteNotFoundMiddleware
from realtime.routing import websocket_urlpatterns


def build_application(http_application):
    router = URLRouter(websocket_urlpatterns)
    websocket_stack = AllowedHostsOriginValidator(
        RouteNotFoundMiddleware(AuthMiddlewareStack(router), router=router)
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
