"""ASGI entry point: `daphne config.asgi:application`, also used by `runserver`.

https://channels.readthedocs.io/en/stable/deploying.html
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before the routing imports consumers (and models).
django_application = get_asgi_application()

from config.routing import build_application  # noqa: E402

application = build_application(django_application)
