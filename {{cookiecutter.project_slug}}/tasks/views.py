"""The long-task page: start a job, watch its progress bar, cancel it."""

from django.shortcuts import render


def index(request):
    return render(request, "tasks/index.html")
