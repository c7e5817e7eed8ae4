from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.forms import AdminLoginForm
from accounts.models import User

admin.site.register(User, UserAdmin)
# The admin's login goes through the same throttle, and says so.
admin.site.login_form = AdminLoginForm
