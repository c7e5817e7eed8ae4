"""A logging filter that makes a record one plain WARNING line, without traceback.

Django logs a request with a Host header outside ALLOWED_HOSTS as an ERROR with
the DisallowedHost traceback (logger django.security.DisallowedHost): anyone
can send one, so config/settings.py routes that logger through this filter.

https://docs.djangoproject.com/en/5.2/ref/logging/#django-security
"""

import logging


class PlainWarning(logging.Filter):
    """Lowers the record to WARNING and drops its traceback."""

    def filter(self, record):
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
