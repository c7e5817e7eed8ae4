"""The database: SQLite, a file next to the code, unless DATABASE_URL names another.

DATABASE_URL takes any URL dj-database-url reads (sqlite:////path/to/file.sqlite3,
postgresql://user:password@host:5432/name with psycopg installed, ...).
https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-notes
https://github.com/jazzband/dj-database-url
"""

import dj_database_url

from config.env import BASE_DIR, env_bool, env_number, env_str

DEFAULT_URL = f"sqlite:///{BASE_DIR / '{{ cookiecutter.project_slug }}.sqlite3'}"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", DEFAULT_URL),
        # SQLite opens a file: keeping it open saves little. See
        # config/database.py of a PostgreSQL project for long-lived sockets.
        conn_max_age=env_number("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", default=False),
    ),
}
