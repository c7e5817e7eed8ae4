"""System checks of the websocket settings: `manage.py check` says what is wrong.

https://docs.djangoproject.com/en/5.2/topics/checks/
"""

from django.conf import settings
from django.core import checks

from realtime.origins import parse_allowed


@checks.register()
def check_websocket_origins(app_configs, **kwargs):
    problems = []
    for pattern in settings.WEBSOCKET_ALLOWED_ORIGINS:
        try:
            parse_allowed(pattern)
        except ValueError as error:
            problems.append(checks.Error(str(error), id="realtime.E001"))
    if "*" in settings.ALLOWED_HOSTS and not settings.WEBSOCKET_ALLOWED_ORIGINS:
        problems.append(
            checks.Warning(
                "DJANGO_ALLOWED_HOSTS=* allows every host, but no websocket origin:"
                " every websocket handshake is refused.",
                hint="List the origins of your pages in WEBSOCKET_ALLOWED_ORIGINS,"
                " e.g. https://example.com.",
                id="realtime.W001",
            )
        )
    return problems
