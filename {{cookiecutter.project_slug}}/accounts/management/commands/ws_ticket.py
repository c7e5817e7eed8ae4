"""`manage.py ws_ticket <username>`: print a websocket ticket, for scripts and tests."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from realtime_kit.tickets import issue_ticket


class Command(BaseCommand):
    help = "Print a websocket ticket for a user (valid WEBSOCKET_TICKET_SECONDS, once)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, username, **options):
        users = get_user_model()._default_manager
        user = users.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        ticket, _ = issue_ticket(user)
        self.stdout.write(ticket)
