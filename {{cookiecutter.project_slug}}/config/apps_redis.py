"""The project's settings package as an app: it registers the checks of where Redis is.

https://docs.djangoproject.com/en/5.2/ref/applications/#django.apps.AppConfig.ready
"""

from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = "Settings"

    def ready(self):
        from config import checks  # noqa: F401  (registers the checks)
