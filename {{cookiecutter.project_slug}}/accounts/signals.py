"""A logout closes the sockets of the session that logged out, on every process,
and its unused websocket tickets open nothing."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from realtime_kit.sessions import end_session_sockets
from realtime_kit.tickets import refuse_tickets_of


@receiver(user_logged_out)
def close_the_sessions_sockets(sender, request, **kwargs):
    # Sent before the session is flushed: its key still names its sockets' group.
    if request is not None and request.session.session_key:
        refuse_tickets_of(request.session.session_key)
        end_session_sockets(request.session.session_key)
