"""Django's ModelBackend behind the login throttles (accounts/throttles.py).

Every password check goes through it: the login page, the admin's, and any
authenticate() with a request. A throttled one stops authenticate() before the
password is hashed (PermissionDenied) and marks the request for the form.
https://docs.djangoproject.com/en/5.2/topics/auth/customizing/#writing-an-authentication-backend
"""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts import throttles


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:  # no client to throttle (manage.py, tests)
            return super().authenticate(request, username, password, **kwargs)
        wait = throttles.login_wait(request, username)
        if wait:
            request.login_throttled_seconds = wait
            raise PermissionDenied
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            throttles.login_failed(request, username)
        return user
