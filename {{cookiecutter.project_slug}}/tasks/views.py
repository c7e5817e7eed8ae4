"""The long-task page. Tasks belong to the session when nobody is logged in: make
sure there is one. https://docs.djangoproject.com/en/5.2/topics/http/sessions/"""

from django.shortcuts import render


def index(request):
    if request.session.session_key is None:
        request.session.save()
        request.session.modified = True
    return render(request, "tasks/index.html")
