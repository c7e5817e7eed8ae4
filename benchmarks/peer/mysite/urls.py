"""HTTP routes of the peer project: only the admin, as startproject makes it."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
