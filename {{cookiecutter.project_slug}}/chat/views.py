"""The chat pages of the Channels tutorial: pick a room, then talk in it."""

from django.shortcuts import render

from chat.rooms import ROOM_NAME


def index(request):
    return render(request, "chat/index.html", {"room_name_pattern": ROOM_NAME})


def room(request, room_name):
    return render(request, "chat/room.html", {"room_name": room_name})
