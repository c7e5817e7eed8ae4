"""`manage.py serve`: the production server (uvicorn), configured from the settings.

SERVER_BIND, SERVER_PROCESSES, SERVER_FORWARDED_ALLOW_IPS, SERVER_SHUTDOWN_SECONDS,
WEBSOCKET_PING_SECONDS, WEBSOCKET_PING_TIMEOUT_SECONDS, WEBSOCKET_MAX_MESSAGE_BYTES
(see .env.example). The system checks run first: several processes on the in-memory
layer are refused (realtime_kit.E002).
"""

from django.core.management.base import BaseCommand

from realtime_kit.serving import serve


class Command(BaseCommand):
    help = "Serve the project with uvicorn, as configured by the SERVER_* settings."

    requires_migrations_checks = True

    def handle(self, *args, **options):
        serve()
