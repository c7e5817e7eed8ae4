"""The ASGI entry point: `daphne config.asgi:application`, also used by `runserver`.

https://channels.readthedocs.io/en/stable/deploying.html
"""

import os

from channels.routing import ChannelNameRouter, ProtocolTypeRouter
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports consumers or models.
django_asgi_app = get_asgi_application()
if settings.DEBUG:
    # What runserver does: static files from the apps' static folders.
    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

from config.websocket import channel_routes, websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_application,
        "channel": ChannelNameRouter(channel_routes),
    }
)
