"""The long-task page. Tasks belong to the session when nobody is logged in: the
page makes sure there is one."""

from django.shortcuts import render


def index(request):
    request.session.setdefault("tasks", True)  # saved, with its cookie, if new
    return render(request, "tasks/index.html")
