"""The ASGI entry point: served by `manage.py serve` (uvicorn) and `runserver` (daphne).

https://channels.readthedocs.io/en/stable/deploying.html
"""

import os

from channels.routing import ProtocolTypeRouter
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports consumers or models.
django_asgi_app = get_asgi_application()
if settings.DEBUG:
    # What runserver does: static files from the apps' static folders.
    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

from config.routing import websocket_application  # noqa: E402
from realtime_kit.health import HealthCheckMiddleware  # noqa: E402
from realtime_kit.proxies import UntrustedProxyWarning  # noqa: E402

# A proxy left out of SERVER_FORWARDED_ALLOW_IPS: one WARNING line says so.
application = UntrustedProxyWarning(
    ProtocolTypeRouter(
        {
            # /healthz and /readyz answer before Django (realtime_kit/health.py).
            "http": HealthCheckMiddleware(django_asgi_app),
            "websocket": websocket_application,
        }
    )
)
