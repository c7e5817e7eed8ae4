"""Sockets end with the login that opened them, on every process.

A logout closes its session's sockets and refuses its unused tickets; a user
deactivated, or whose password changed, loses every socket (the session that
changed it gets a new key, so its old sockets would outlive its logout).
https://docs.djangoproject.com/en/5.2/topics/auth/default/#session-invalidation-on-password-change
"""

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from accounts.models import User
from realtime_kit.sessions import end_session_sockets, end_user_sockets
from realtime_kit.tickets import refuse_tickets_of


@receiver(user_logged_out)
def close_the_sessions_sockets(sender, request, **kwargs):
    # Sent before the session is flushed: its key still names its sockets' group.
    if request is not None and request.session.session_key:
        refuse_tickets_of(request.session.session_key)
        end_session_sockets(request.session.session_key)


@receiver(post_init, sender=User)
def remember_the_login(sender, instance, **kwargs):
    instance.login_as_loaded = (instance.password, instance.is_active)


@receiver(post_save, sender=User)
def close_the_users_sockets(sender, instance, created, **kwargs):
    was = getattr(instance, "login_as_loaded", None)
    instance.login_as_loaded = (instance.password, instance.is_active)
    if created or was is None:
        return
    password, was_active = was
    if (was_active and not instance.is_active) or password != instance.password:
        # Once the change is committed: a client reconnecting at once must
        # meet the new state.
        pk = instance.pk
        transaction.on_commit(lambda: end_user_sockets(pk))
