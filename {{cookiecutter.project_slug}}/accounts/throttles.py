"""Throttles on password guessing and signups, counted in Django's cache.

Failed logins per client address and per account (LOGIN_FAILURES_*), signups
per address (SIGNUPS_PER_ADDRESS*); a throttled login is refused before its
password is hashed. Why: docs/decisions.md, "Login throttles".
https://docs.djangoproject.com/en/5.2/topics/cache/#the-low-level-cache-api
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


class Throttle:
    """At most `limit` events per key in a window of `seconds` that starts with
    the key's first event; limit 0 turns it off."""

    def __init__(self, name, limit, seconds):
        self.name, self.limit, self.seconds = name, limit, seconds

    def key(self, value):
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        return f"accounts.throttle.{self.name}.{digest}"

    def wait(self, value):
        """Seconds until `value` may try again, or 0."""
        if not self.limit:
            return 0
        key = self.key(value)
        found = cache.get_many([key, key + ".ends"])
        if found.get(key, 0) < self.limit:
            return 0
        return max(1.0, found.get(key + ".ends", 0) - time.time())

    def hit(self, value):
        """Count one event; returns how many `value` has in its window."""
        if not self.limit:
            return 0
        key = self.key(value)
        # The count and its window's end expire together; incr keeps the expiry.
        if cache.add(key, 1, self.seconds):
            cache.set(key + ".ends", time.time() + self.seconds, self.seconds)
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # the window ended between add and incr
            return self.hit(value)

    def first_refusal(self, value):
        """True once per window per `value`: the refusal worth a log line."""
        return cache.add(self.key(value) + ".logged", True, self.seconds)


def per_address_logins():
    return Throttle(
        "login-address",
        settings.LOGIN_FAILURES_PER_ADDRESS,
        settings.LOGIN_FAILURES_PER_ADDRESS_SECONDS,
    )


def per_account_logins():
    return Throttle(
        "login-account",
        settings.LOGIN_FAILURES_PER_ACCOUNT,
        settings.LOGIN_FAILURES_PER_ACCOUNT_SECONDS,
    )


def per_address_signups():
    return Throttle(
        "signup-address",
        settings.SIGNUPS_PER_ADDRESS,
        settings.SIGNUPS_PER_ADDRESS_SECONDS,
    )


def client_address(request):
    """The client's address: under `manage.py serve`, the X-Forwarded-For one
    from a proxy in SERVER_FORWARDED_ALLOW_IPS."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def account(username):
    return str(username or "").casefold()[:150]


def login_wait(request, username):
    """Seconds until this address and account may try a password again, or 0."""
    address = client_address(request)
    for throttle, value, what in (
        (per_address_logins(), address, f"address {address}"),
        (per_account_logins(), account(username), f"account {account(username)!r}"),
    ):
        wait = throttle.wait(value)
        if wait:
            if throttle.first_refusal(value):
                logger.warning(
                    "Login refused without a password check: %s had %s failed"
                    " logins in %s s; refused for %.0f s more (one line per window)",
                    what,
                    throttle.limit,
                    throttle.seconds,
                    wait,
                )
            return wait
    return 0


def login_failed(request, username):
    address = client_address(request)
    failures = per_address_logins().hit(address)
    per_account_logins().hit(account(username))
    logger.warning(
        "Login failed for %r from %s (%s from that address in this window)",
        account(username),
        address,
        failures,
    )


def signup_wait(request):
    """Counts a signup attempt; seconds until this address may try again, or 0."""
    throttle = per_address_signups()
    address = client_address(request)
    wait = throttle.wait(address)
    if wait:
        if throttle.first_refusal(address):
            logger.warning(
                "Signup refused: address %s made %s signup attempts in %s s;"
                " refused for %.0f s more (one line per window)",
                address,
                throttle.limit,
                throttle.seconds,
                wait,
            )
        return wait
    throttle.hit(address)
    return 0
