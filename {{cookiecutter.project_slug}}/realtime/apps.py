from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Websocket infrastructure"

    def ready(self):
        from realtime import checks  # noqa: F401  (registers the checks)
