"""Who owns a task: the logged-in user, else the browser session that started it.

Watching or cancelling a task of another owner answers exactly as an unknown
id would. Owners are opaque strings; a session is named by a hash of its key.
https://docs.djangoproject.com/en/5.2/topics/http/sessions/
"""

import hashlib

from channels.db import database_sync_to_async


@database_sync_to_async
def owner_of(scope):
    """The owner for a socket's scope, or None (no login and no real session)."""
    user = scope.get("user")
    if user is not None and user.is_authenticated:
        return f"user.{user.pk}"
    session = scope.get("session")
    if session is None or not session.session_key:
        return None
    session.load()  # a key with no session behind it is dropped here
    if not session.exists(session.session_key):
        return None
    return session_owner(session.session_key)


def session_owner(session_key):
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]
