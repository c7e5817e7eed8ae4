"""The database: PostgreSQL through psycopg 3, at DATABASE_URL.

https://docs.djangoproject.com/en/5.2/ref/databases/#postgresql-notes
https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections
https://github.com/jazzband/dj-database-url

Connections and long-lived websockets: connections belong to threads, not to
sockets. Under ASGI, Django closes a connection at the end of each HTTP request
once it is older than DATABASE_CONN_MAX_AGE; a websocket is not a request, so
Channels runs the same check before each consumer handler. Sync consumers and
the async ORM share asgiref's one sync thread, so a process holds about one
connection however many sockets stay open, and an idle socket holds none. Keep
DATABASE_CONN_MAX_AGE at 0 (reconnect per request or handler) unless you have
measured the connect cost; above 0, turn DATABASE_CONN_HEALTH_CHECKS on so that
a connection the server dropped is replaced, not reused and failed.
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
