from django.urls import path, re_path

from chat import views
from chat.rooms import ROOM_NAME

app_name = "chat"
urlpatterns = [
    path("", views.index, name="index"),
    re_path(rf"^(?P<room_name>{ROOM_NAME})/$", views.room, name="room"),
]
