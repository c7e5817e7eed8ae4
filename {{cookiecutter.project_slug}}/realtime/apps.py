"""Django app configuration for the sample realtime features."""

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"

    def ready(self):
        from realtime.jobs import checks  # noqa: F401  (registers the checks)
