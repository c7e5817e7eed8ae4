"""Chat rooms: every member of a room receives every message sent to it."""
