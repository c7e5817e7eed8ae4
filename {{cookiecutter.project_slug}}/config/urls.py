"""HTTP routes: the home page and each app's pages (websockets: config/websocket.py)."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("chat/", include("chat.urls")),
    path("tasks/", include("tasks.urls")),
    path("admin/", admin.site.urls),
]
