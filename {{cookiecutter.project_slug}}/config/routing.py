"""The websocket application: every app's routes behind Channels' own checks.

Read it outermost first; each layer reads its own settings (.env.example).
https://channels.readthedocs.io/en/stable/topics/routing.html
https://channels.readthedocs.io/en/stable/topics/security.html
"""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter

from chat import routing as chat_routing
from echo import routing as echo_routing
from notifications import routing as notifications_routing
from realtime_kit.client_limits import ClientLimitMiddleware
from realtime_kit.database_outages import DatabaseOutageMiddleware
from realtime_kit.layer_outages import LayerOutageMiddleware
from realtime_kit.origins import AllowedHostsOriginValidator
from realtime_kit.rate_limit import RateLimitMiddleware
from realtime_kit.route_not_found import RouteNotFoundMiddleware
from realtime_kit.sessions import SessionEndMiddleware
from realtime_kit.tickets import TicketMiddleware
from tasks import routing as tasks_routing

websocket_urlpatterns = [
    *echo_routing.websocket_urlpatterns,
    *chat_routing.websocket_urlpatterns,
    *tasks_routing.websocket_urlpatterns,
    *notifications_routing.websocket_urlpatterns,
]

websocket_application = ClientLimitMiddleware(  # caps per client address
    LayerOutageMiddleware(  # channel layer down: one ERROR line, close 4011
        DatabaseOutageMiddleware(  # database down: one ERROR line, refused/4011
            AllowedHostsOriginValidator(  # Origin must be one of ALLOWED_HOSTS
                AuthMiddlewareStack(  # scope["user"] from the session cookie
                    TicketMiddleware(  # ... or from a websocket ticket
                        SessionEndMiddleware(  # logout, deactivation: 4001
                            RateLimitMiddleware(  # over WEBSOCKET_RATE_LIMIT: 4008
                                RouteNotFoundMiddleware(  # unknown path: 403
                                    URLRouter(websocket_urlpatterns)
                                )
                            )
                        )
                    )
                )
            )
        )
    )
)
