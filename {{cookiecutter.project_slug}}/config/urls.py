"""HTTP routes: the home page and each app's pages (websockets: config/websocket.py)."""

from django.conf import settings
from django.urls import include, path
from django.views.generic import TemplateView

urlpatterns = [
    path(
        "",
        TemplateView.as_view(
            template_name="home.html",
            extra_context={"project_name": settings.PROJECT_NAME},
        ),
        name="home",
    ),
    path("chat/", include("chat.urls")),
    path("tasks/", include("tasks.urls")),
]
