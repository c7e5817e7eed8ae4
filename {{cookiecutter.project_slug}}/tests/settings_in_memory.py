"""Settings for the tests: the project's own, with a throwaway key when none is set,
on the tests' own database (tests/database.py)."""

import os

from tests.database import use_test_database

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-never-use-this-key-" + "x" * 40)
os.environ.setdefault("TASK_STEP_SECONDS", "0.01")
use_test_database()

from config.settings import *  # noqa: E402, F403

# Whatever the environment says, the hosts of the tests' own clients and servers.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "localhost", "127.0.0.1"]  # noqa: F405

# Passwords hashed fast: the tests sign up and log in many users, and the
# production hasher is slow on purpose.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A live server's own database (tests/live_server.py), migrated before it starts.
if os.environ.get("LIVE_SERVER_DATABASE"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["LIVE_SERVER_DATABASE"],
        }
    }

# Pages name static files before collectstatic has run: plain names, no hashes,
# and nothing collected to serve (tests/test_static_files.py collects).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SERVESTATIC_USE_STATIC_ROOT = False
