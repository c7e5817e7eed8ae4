"""HTTP URL routes. Websocket routes live in realtime/routing.py."""

from django.urls import include, path

urlpatterns = [
    path("", include("realtime.urls")),
]
