"""HTTP routes of the demo pages."""

from django.urls import path

from realtime import views

urlpatterns = [
    path("", views.index, name="index"),
    path("chat/", views.chat_index, name="chat-index"),
    path("chat/<str:room_name>/", views.chat_room, name="chat-room"),
    path("tasks/", views.tasks, name="tasks"),
]
