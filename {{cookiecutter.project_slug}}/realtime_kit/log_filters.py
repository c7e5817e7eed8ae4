"""Logging filters for Django's LOGGING: one plain line per event, nothing secret.

Named in config/settings.py's LOGGING; each is a plain logging.Filter.
https://docs.djangoproject.com/en/5.2/topics/logging/#configuring-logging
"""

import logging
import time
import urllib.parse


class PlainLine(logging.Filter):
    """One WARNING line: the traceback's last line joins the message, the rest goes.

    With `messages`, only records whose message template starts with one of
    them are changed; the others pass as they are.
    """

    def __init__(self, messages=None):
        super().__init__()
        self.messages = tuple(messages) if messages else None

    def filter(self, record):
        if self.messages is not None and not str(record.msg).startswith(
            self.messages
        ):
            return True
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            # The message as logged: what OncePerInterval counts as the same.
            record.template = record.msg
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args = None
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
        record.exc_info = record.exc_text = record.stack_info = None
        return True


class OncePerInterval(logging.Filter):
    """Lets a message through once per `seconds`; the next one says how many were held."""

    def __init__(self, seconds=60):
        super().__init__()
        self.seconds = seconds
        self.seen = {}  # (logger, message template) -> [next time, held count]

    def filter(self, record):
        key = (record.name, str(getattr(record, "template", record.msg)))
        now = time.monotonic()
        entry = self.seen.get(key)
        if entry is not None and now < entry[0]:
            entry[1] += 1
            return False
        held = entry[1] if entry else 0
        self.seen[key] = [now + self.seconds, 0]
        if held:
            record.msg = f"{record.msg} ({held} more like it in {self.seconds} s)"
        return True


def _without_query(value):
    if isinstance(value, str) and value.startswith("/") and "?" in value:
        return urllib.parse.urlsplit(value).path
    return value


class NoQueryString(logging.Filter):
    """Drops query strings from the server's access lines: they may carry secrets."""

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(arg) for arg in record.args)
        return True
