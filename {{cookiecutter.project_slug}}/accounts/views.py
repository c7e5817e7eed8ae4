"""Login and signup (both throttled: accounts/throttles.py), and websocket tickets."""

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import throttles
from accounts.forms import LoginForm, SignupForm
from realtime_kit.tickets import issue_ticket

TOO_MANY_REQUESTS = 429


class LoginView(auth_views.LoginView):
    """Django's LoginView; a throttled login answers 429 with a clear message."""

    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error("__all__", code="throttled"):
            response.status_code = TOO_MANY_REQUESTS
        return response


def signup(request):
    if request.method != "POST":
        form = SignupForm()
    else:
        wait = throttles.signup_wait(request)
        form = SignupForm(request.POST, throttled_seconds=wait)
        if form.is_valid():
            login(request, form.save())
            return redirect("home")
    status = TOO_MANY_REQUESTS if form.has_error("__all__", "throttled") else 200
    return render(request, "accounts/signup.html", {"form": form}, status=status)


@require_POST
@login_required
def ws_ticket(request):
    """A ticket for one websocket handshake (realtime_kit/tickets.py); needs CSRF."""
    session_key = request.session.session_key
    ticket, seconds = issue_ticket(request.user, session_key)
    return JsonResponse({"ticket": ticket, "expires_in": seconds})
