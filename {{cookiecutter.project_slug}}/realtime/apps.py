"""Django app configuration for the sample realtime features."""

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
