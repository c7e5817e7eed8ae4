"""`manage.py serve`: the production server (uvicorn), configured from the settings.

SERVER_* and WEBSOCKET_PING_*, WEBSOCKET_MAX_MESSAGE_BYTES (.env.example). The
system checks run first: several processes on the in-memory layer are refused.
"""

from django.core.management.base import BaseCommand

from realtime_kit.serving import serve


class Command(BaseCommand):
    help = "Serve the project with uvicorn, as configured by the SERVER_* settings."

    requires_migrations_checks = True

    def handle(self, *args, **options):
        serve()
