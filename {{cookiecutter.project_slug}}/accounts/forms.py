import math

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError

from accounts.models import User

LOGIN_THROTTLED = "Too many failed logins. Try again in {minutes} minute(s)."
SIGNUP_THROTTLED = (
    "Too many signups from your address. Try again in {minutes} minute(s)."
)


def minutes(seconds):
    return max(1, math.ceil(seconds / 60))


class SignupForm(UserCreationForm):
    """Django's signup form; `throttled_seconds` (accounts/throttles.py) refuses it."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)

    def __init__(self, *args, throttled_seconds=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.throttled_seconds = throttled_seconds

    def clean(self):
        if self.throttled_seconds:
            raise ValidationError(
                SIGNUP_THROTTLED.format(minutes=minutes(self.throttled_seconds)),
                code="throttled",
            )
        return super().clean()


class ThrottledLoginMixin:
    """Says so when a login was refused by the throttle (accounts/backends.py)."""

    def get_invalid_login_error(self):
        seconds = getattr(self.request, "login_throttled_seconds", 0)
        if seconds:
            return ValidationError(
                LOGIN_THROTTLED.format(minutes=minutes(seconds)), code="throttled"
            )
        return super().get_invalid_login_error()


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
