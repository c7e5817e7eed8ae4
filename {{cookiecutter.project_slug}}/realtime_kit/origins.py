"""Channels' AllowedHostsOriginValidator, with one WARNING line per refused origin.

The rule is Channels' own: the Origin header's host must be in ALLOWED_HOSTS
(any scheme and port; with DEBUG and no hosts, localhost). "*" in ALLOWED_HOSTS
would allow every origin, so `manage.py check` refuses it (realtime_kit.E001).
https://channels.readthedocs.io/en/stable/topics/security.html
"""

import logging

from channels.security.websocket import OriginValidator
from django.conf import settings

logger = logging.getLogger(__name__)


class LoggingOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin):
        if super().valid_origin(parsed_origin):
            return True
        origin = parsed_origin.geturl()[:200] if parsed_origin else None
        logger.warning(
            "Websocket refused: origin %r is not one of ALLOWED_HOSTS"
            " (DJANGO_ALLOWED_HOSTS)",
            origin,
        )
        return False


def AllowedHostsOriginValidator(application):  # noqa: N802  (Channels' name)
    """Channels' factory of the same name, with the logging validator."""
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return LoggingOriginValidator(application, allowed_hosts)
