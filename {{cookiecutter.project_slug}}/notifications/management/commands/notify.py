"""`manage.py notify <username> "<text>"`: push a notification to a user's sockets.

It reaches the server's sockets only through a channel layer that crosses
processes (Redis). On an in-process layer (the in-memory one) it refuses, with
the ways that work there: the notifications page's form, or code that runs in
the server (`notifications.push.notify`).
https://channels.readthedocs.io/en/stable/topics/channel_layers.html#using-outside-of-consumers
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from notifications.push import notify
from realtime_kit.layer_outages import OUTAGE_ERRORS
from realtime_kit.serving import layer_is_in_process


class Command(BaseCommand):
    help = "Send a notification to every open socket of a user (needs a Redis layer)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("message")

    def handle(self, username, message, **options):
        if layer_is_in_process():
            backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
            raise CommandError(
                f"Not sent: the channel layer ({backend}) lives inside each process "
                "and does not cross processes, so nothing sent from this command "
                "reaches the server's sockets. Send it from the server instead: the "
                "form on /notifications/ (to yourself), or notifications.push.notify"
                "(user, text) in a view or a job; or move to a Redis channel layer "
                "(README.md, Channel layer)."
            )
        users = get_user_model()._default_manager
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            notify(user, message)
        except OUTAGE_ERRORS as error:
            raise CommandError(
                f"Not sent: the channel layer failed ({type(error).__name__}: {error})."
            ) from None
        self.stdout.write(
            f"Sent to {username}: every socket of theirs open now receives it."
        )
