"""Signup, and websocket tickets for the logged-in user."""

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import SignupForm
from realtime_kit.tickets import issue_ticket


def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


@require_POST
@login_required
def ws_ticket(request):
    """A ticket for one websocket handshake (realtime_kit/tickets.py); needs CSRF."""
    session_key = request.session.session_key
    ticket, seconds = issue_ticket(request.user, session_key)
    return JsonResponse({"ticket": ticket, "expires_in": seconds})
