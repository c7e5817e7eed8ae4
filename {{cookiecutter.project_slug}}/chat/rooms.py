"""What a room may be called: the routes, the pages and the group name agree on it.

A room is the channel-layer group "chat.<room>"; group names allow only ASCII
letters, digits, "-", "_" and "." and must stay under 100 characters.
https://channels.readthedocs.io/en/stable/topics/channel_layers.html#groups
"""

ROOM_NAME = r"[A-Za-z0-9_.\-]{1,80}"
