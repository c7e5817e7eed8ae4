from django.apps import AppConfig


class RealtimeKitConfig(AppConfig):
    name = "realtime_kit"
    verbose_name = "Websocket kit"

    def ready(self):
        from realtime_kit import checks  # noqa: F401  (registers the checks)
