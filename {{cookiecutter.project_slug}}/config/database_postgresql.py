"""The database: PostgreSQL through psycopg 3, at DATABASE_URL.

Sync consumers and the async ORM share asgiref's one sync thread: a process holds
about one connection however many sockets are open. Keep DATABASE_CONN_MAX_AGE
at 0 unless you measured the connect cost (docs/decisions.md#database-connections).
https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections
"""

import dj_database_url

from config.env import env_bool, env_number, env_str

DEFAULT_URL = "postgresql://127.0.0.1:5432/{{ cookiecutter.project_slug }}"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", DEFAULT_URL),
        conn_max_age=env_number("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", default=False),
    ),
}
