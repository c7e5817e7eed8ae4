"""The tests' database: PostgreSQL, as in production, never your development one.

DATABASE_URL names a server when set in the environment (CI's service);
otherwise a private cluster starts for this test run (tests/postgres_server.py).
The DATABASE_URL of .env is not read here.
"""

import os

from tests.postgres_server import postgres_url_for_this_run


def use_test_database():
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = postgres_url_for_this_run()
