"""The tests' database: PostgreSQL, as in production, never your development one.

DATABASE_URL names a server when it is set in the environment (CI's service;
Django's test runner creates and drops its own `test_` database there);
otherwise a private cluster starts for this test run (tests/postgres_server.py)
and stops when it ends. The DATABASE_URL of .env is not read here, and the
servers the tests start share the run's database server.
"""

import os

from tests.postgres_server import postgres_url_for_this_run


def use_test_database():
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = postgres_url_for_this_run()
