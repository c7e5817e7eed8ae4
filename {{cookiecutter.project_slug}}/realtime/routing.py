"""Websocket URL routes of the sample consumers.

https://channels.readthedocs.io/en/stable/topics/routing.html
"""

from django.urls import path

from realtime.consumers.chat import ChatConsumer
from realtime.consumers.echo import EchoConsumer
from realtime.consumers.tasks import TaskConsumer

websocket_urlpatterns = [
    path("ws/echo/", EchoConsumer.as_asgi()),
    path("ws/chat/<str:room>/", ChatConsumer.as_asgi()),
    path("ws/tasks/", TaskConsumer.as_asgi()),
]
