"""`manage.py notify <username> "<text>"`: push a notification to a user's sockets."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from notifications.push import notify


class Command(BaseCommand):
    help = "Send a notification to every open socket of a user."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("message")

    def handle(self, username, message, **options):
        users = get_user_model()._default_manager
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        notify(user, message)
        self.stdout.write(f"Sent to {username}.")
