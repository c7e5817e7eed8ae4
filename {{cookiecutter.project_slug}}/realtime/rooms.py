"""Chat room names: what a room may be called, shared by the consumer and the pages.

A room is a channel-layer group named "chat.<room>"; group names allow only
ASCII letters, digits, "-", "_" and "." and must stay under 100 characters.
"""

import re

ROOM_NAME_PATTERN = r"[A-Za-z0-9_.\-]{1,80}"
_ROOM_NAME = re.compile(ROOM_NAME_PATTERN + r"\Z")


def is_valid_room_name(name):
    return bool(_ROOM_NAME.match(name))


def room_group_name(name):
    return f"chat.{name}"
