"""Settings for the tests: the project's own, on their own Redis and database.

TEST_REDIS_URL names a Redis when set; otherwise a private redis-server starts
on a free port for this test run (tests/redis_server.py). The REDIS_URL of .env
(your development Redis) is never used, nor are its sentinels.
"""

import os

from tests.database import use_test_database
from tests.redis_server import redis_url_for_this_run

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-never-use-this-key-" + "x" * 40)
os.environ.setdefault("TASK_STEP_SECONDS", "0.01")
use_test_database()
if not os.environ.get("TEST_REDIS_URL"):
    # Set for the servers the tests start too: they share this Redis.
    os.environ["TEST_REDIS_URL"] = redis_url_for_this_run()
os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
# One Redis, whatever the environment's Sentinel settings.
for name in ("REDIS_SENTINELS", "REDIS_SENTINEL_MASTER", "REDIS_SENTINEL_PASSWORD"):
    os.environ[name] = ""

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
