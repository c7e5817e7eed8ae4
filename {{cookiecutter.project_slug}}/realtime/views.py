"""Demo pages: the landing page, the chat pages of the Channels tutorial, long tasks."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from realtime.rooms import ROOM_NAME_PATTERN, is_valid_room_name


def index(request):
    return render(
        request, "realtime/index.html", {"project_name": settings.PROJECT_NAME}
    )


def chat_index(request):
    return render(request, "chat/index.html", {"room_name_pattern": ROOM_NAME_PATTERN})


def chat_room(request, room_name):
    if not is_valid_room_name(room_name):
        raise Http404("No such room name")
    return render(request, "chat/room.html", {"room_name": room_name})


def tasks(request):
    return render(request, "tasks/index.html")
