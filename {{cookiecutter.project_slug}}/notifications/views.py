"""The notifications page, and a form on it that sends one to yourself.

The form posts to `send_to_myself` (CSRF-protected, logged-in users only); the
view runs in the server, so it reaches the user's sockets on any channel layer.
https://channels.readthedocs.io/en/stable/topics/channel_layers.html#using-outside-of-consumers
"""

import logging

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from notifications.push import notify
from realtime_kit.layer_outages import OUTAGE_ERRORS
from realtime_kit.serving import layer_is_in_process

logger = logging.getLogger(__name__)


class NotificationForm(forms.Form):
    message = forms.CharField(max_length=500, strip=True)


@login_required
def index(request):
    # `manage.py notify` reaches these sockets only on a layer that crosses
    # processes: the page mentions it only then.
    return render(
        request,
        "notifications/index.html",
        {"form": NotificationForm(), "command_works": not layer_is_in_process()},
    )


@login_required
@require_POST
def send_to_myself(request):
    """204 once sent; 400 with {"error": ...} for a bad message; 503 if the layer is down."""
    form = NotificationForm(request.POST)
    if not form.is_valid():
        error = form.errors["message"][0]
        return JsonResponse({"error": error}, status=400)
    try:
        notify(request.user, form.cleaned_data["message"])
    except OUTAGE_ERRORS as error:
        logger.error(
            "Notification not sent: the channel layer failed (%s: %s)",
            type(error).__name__,
            error,
        )
        return JsonResponse({"error": "Not sent: try again later."}, status=503)
    return HttpResponse(status=204)
