from django.urls import re_path

from chat.consumers import ChatConsumer
from chat.rooms import ROOM_NAME

websocket_urlpatterns = [
    re_path(rf"^ws/chat/(?P<room_name>{ROOM_NAME})/$", ChatConsumer.as_asgi()),
]
