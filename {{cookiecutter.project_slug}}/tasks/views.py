"""The long-task page: start a job, watch its progress bar, cancel it."""

from django.shortcuts import render


def index(request):
    # Tasks belong to the session when nobody is logged in: make sure there is one.
    if request.session.session_key is None:
        request.session.save()
        request.session.modified = True
    return render(request, "tasks/index.html")
